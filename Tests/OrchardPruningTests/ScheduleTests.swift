import OrchardTensor
import Testing

@testable import OrchardPruning

@Suite("Schedules")
struct ScheduleTests {
    @Test func cosineDecay() {
        let decay = CosineDecay(alpha: 0.2, endRound: 300)
        #expect(decay.fraction(at: 0) == 0.2)
        #expect(abs(decay.fraction(at: 150) - 0.1) < 1e-12)
        #expect(abs(decay.fraction(at: 100) - 0.1 * (1 + 0.5)) < 1e-12)
        #expect(decay.fraction(at: 300) == 0)
        #expect(decay.fraction(at: 400) == 0)
        #expect(CosineDecay(endRound: 0).fraction(at: 0) == 0)
    }

    @Test func cubicSchedule() {
        let schedule = CubicSchedule(
            initialSparsity: 0, finalSparsity: 0.9, startStep: 10, pruningSteps: 4, interval: 5)
        #expect(schedule.sparsity(at: 0) == 0)
        #expect(schedule.sparsity(at: 10) == 0)
        // t = 15: 0.9 + (0 − 0.9)(1 − 5/20)³ = 0.9 − 0.9 · 0.421875.
        #expect(abs(schedule.sparsity(at: 15) - (0.9 - 0.9 * 0.421875)) < 1e-12)
        #expect(abs(schedule.sparsity(at: 20) - (0.9 - 0.9 * 0.125)) < 1e-12)
        #expect(abs(schedule.sparsity(at: 30) - 0.9) < 1e-12)
        #expect(abs(schedule.sparsity(at: 99) - 0.9) < 1e-12)
        #expect(abs(schedule.density(at: 20) - (1 - 0.7875)) < 1e-12)
        #expect((0..<40).filter(schedule.isPruningStep) == [10, 15, 20, 25, 30])
    }

    @Test func gradualMagnitudeShrinksByMagnitude() {
        let mask = TensorMask.full(shape: [2, 4])
        let weights = Tensor(shape: [2, 4], values: [0.1, -5, 3, 0.2, -0.3, 4, 0, 1])
        let change = GradualMagnitude.prune(mask, weights: weights, density: 0.5)
        #expect(change.mask.activeIndices == [1, 2, 5, 7])
        #expect(change.pruned == [0, 3, 4, 6])
        #expect(weights.values == [0, -5, 3, 0, 0, 4, 0, 1])
        // A density above the current one never grows the mask back.
        let again = GradualMagnitude.prune(change.mask, weights: weights, density: 0.75)
        #expect(again.mask == change.mask)
    }
}
