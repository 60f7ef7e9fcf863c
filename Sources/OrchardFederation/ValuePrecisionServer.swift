import OrchardNN
import OrchardPayload

/// A server method whose tasks travel at the run's value precision.
///
/// A method says what travels and the runtime how it is encoded: the method it wraps builds its
/// tasks as always, and this sets each task's `precision` on the way out.
final class ValuePrecisionServer: ServerMethod {
    private let method: any ServerMethod
    private let precision: ValuePrecision

    init(_ method: any ServerMethod, precision: ValuePrecision) {
        self.method = method
        self.precision = precision
    }

    var global: Network { method.global }

    func tasks(round: Int, clients: [Int]) throws -> [ClientTask] {
        try method.tasks(round: round, clients: clients).map { task in
            var stamped = task
            stamped.precision = precision
            return stamped
        }
    }

    func contract(for task: ClientTask) -> ResultContract { method.contract(for: task) }

    func aggregate(round: Int, results: [ClientResult]) throws {
        try method.aggregate(round: round, results: results)
    }

    func checkpointExtra() -> [UInt8]? { method.checkpointExtra() }

    func restore(checkpointExtra: [UInt8]?) throws { try method.restore(checkpointExtra: checkpointExtra) }
}
