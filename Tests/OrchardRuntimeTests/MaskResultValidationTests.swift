import OrchardFederation
import OrchardTensor
import Testing

@testable import OrchardRuntime

/// A contract entry of form `.mask` takes a mask of its shape, any positions, and nothing else.
@Suite("Mask uploads against their contract")
struct MaskResultValidationTests {
    let contract = ResultContract(entries: [.init(name: "fc.mask", form: .mask(shape: [2, 3]))])

    func mask(_ shape: [Int], _ positions: [Int32]) -> NamedTensor {
        NamedTensor(name: "fc.mask", payload: .mask(shape: shape, indices: positions))
    }

    @Test func aMaskOfTheShapeIsAccepted() throws {
        try ResultValidation.checkTensors([mask([2, 3], [0, 4, 5])], contract, maxMagnitude: 1)
        try ResultValidation.checkTensors([mask([2, 3], [])], contract, maxMagnitude: 1)
    }

    @Test func anotherShapeValuesOrNothingAreRejected() {
        #expect(throws: Rejection.self) {
            try ResultValidation.checkTensors([mask([3, 2], [0])], contract, maxMagnitude: 1)
        }
        #expect(throws: Rejection.self) {
            let values = NamedTensor(name: "fc.mask", tensor: Tensor(shape: [2, 3], values: [0, 1, 0, 1, 0, 1]))
            try ResultValidation.checkTensors([values], contract, maxMagnitude: 1)
        }
        #expect(throws: Rejection.self) { try ResultValidation.checkTensors([], contract, maxMagnitude: 1) }
    }
}
