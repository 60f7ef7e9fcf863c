import OrchardTensor
import Testing
@testable import OrchardNN

@Test func scratchD() {
    var random = RandomStream(seed: 6)
    let chain = Sequential([("c1", Conv2d(4, 4, kernelSize: 3, padding: 1, bias: false, random: &random)), ("b1", BatchNorm(4)), ("r", ReLU()), ("c2", Conv2d(4, 4, kernelSize: 3, padding: 1, bias: false, random: &random)), ("b2", BatchNorm(4))])
    GradientCheck(step: 1e-3).check(chain, input: randomTensor([4, 3, 6, 6], seed: 13))
}
@Test func scratchE() {
    var random = RandomStream(seed: 6)
    let block = BasicBlock(4, 4, stride: 1, random: &random)
    let x = randomTensor([4, 3, 6, 6], seed: 13)
    for step: Float in [1e-2, 1e-3, 1e-4] {
        let out = block.forward(x, mode: .training)
        let w = randomTensor(out.shape, seed: 99)
        _ = block.backward(w)
        let analytic = block.bn2.shift.gradient![2]
        let check = GradientCheck(step: step)
        let p = block.bn2.shift.value
        p[2] += step; let a = check.loss(block, x, w); p[2] -= 2*step; let b = check.loss(block, x, w); p[2] += step
        print("step", step, "analytic", analytic, "numeric", (a - b) / Double(2 * step))
    }
}
