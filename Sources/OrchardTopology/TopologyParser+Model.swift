import Foundation
import OrchardFederation
import OrchardFormat
import OrchardNN
import Yams

/// Reading `model:` and `method:`, sizing the model, and checking the groups' memory budgets.
extension TopologyParser {
    /// `model:`, a zoo name or a mapping of `name`, `width` and `init` (a safetensors file of
    /// initial weights, resolved as data paths are, against the loader's root).
    func readModel(_ node: Node, _ path: String) -> ModelSpec? {
        guard
            let section = Section(
                node, path: path, log: log,
                expected: "a model: a name such as lenet5, or a mapping with name, width and init",
                shorthandKey: "name")
        else { return nil }
        let name = section.read("name", required: true) { node, path in
            log.choice(node, path, among: ModelZoo.names, what: "model")
        }
        let width = section.read("width") { log.number($0, $1, .positive) }
        let written = section.read("init") { log.text($0, $1) }
        section.finish(known: ["name", "width", "init"])
        guard let name else { return nil }
        let initPath = written.map { TopologyLoader.resolve($0, root: root) }
        if let written, let initPath, !FileManager.default.fileExists(atPath: initPath) {
            let shown = written == initPath ? initPath : "\(written) (\(initPath))"
            log.report(
                "initial weights \(shown) do not exist; init takes a safetensors file such as `orchard export` writes",
                path: KeyPath.child(path, "init"))
            return nil
        }
        if let width, width != 1, !ModelSpec.hasWidth(name) {
            log.report(
                "width applies to vgg11 and the ResNets; \(name) has a fixed width", path: KeyPath.child(path, "width"))
            return nil
        }
        return ModelSpec(name: name, width: width ?? 1, initPath: initPath)
    }

    /// `method:`, a registered name or a mapping of `name` and the method's settings; `fedavg`
    /// when absent and registered.
    func readMethod(_ top: Section) -> MethodSpec? {
        guard let node = top.node("method"), !DiagnosticLog.isNull(node) else {
            guard let fedAvg = methods.descriptor(named: MethodDescriptor.fedAvg.name) else {
                log.report("missing required key 'method'", at: top.mark, path: "")
                return nil
            }
            return MethodSpec(name: fedAvg.name, settings: fedAvg.defaults)
        }
        guard
            let section = Section(
                node, path: "method", log: log,
                expected: "a method: a name such as fedavg, or a mapping with name and the method's settings",
                shorthandKey: "name")
        else { return nil }
        guard
            let name = section.read(
                "name", required: true,
                { node, path in
                    log.choice(node, path, among: methods.names, what: "method")
                }), let descriptor = methods.descriptor(named: name)
        else {
            // Without a known method its settings cannot be judged; the name's diagnostic says why.
            section.ignoreRest()
            return nil
        }
        var settings: [String: SettingValue] = [:]
        var complete = true
        for setting in descriptor.settings {
            if let value = section.read(
                setting.key, required: setting.defaultValue == nil,
                { node, path in
                    readSetting(setting, node, path)
                })
            {
                settings[setting.key] = value
            } else if let fallback = setting.defaultValue, !section.contains(setting.key) {
                settings[setting.key] = fallback
            } else {
                complete = false
            }
        }
        let known = ["name"] + descriptor.settings.map(\.key)
        if descriptor.settings.isEmpty {
            section.finish(
                known: [],
                elsewhere: Dictionary(
                    uniqueKeysWithValues: section.keys.filter { $0 != "name" }
                        .map { ($0, "\(name) takes no settings") }))
        } else {
            section.finish(known: known)
        }
        return complete ? MethodSpec(name: name, settings: settings) : nil
    }

    /// The value of one method setting, checked against its declared kind.
    func readSetting(_ setting: MethodSetting, _ node: Node, _ path: String) -> SettingValue? {
        switch setting.kind {
        case .boolean:
            return log.boolean(node, path).map(SettingValue.boolean)
        case .integer(let range):
            return log.integer(node, path, atLeast: range.lowerBound, atMost: range.upperBound).map(
                SettingValue.integer)
        case .number(let range):
            guard let value = log.number(node, path, .finite) else { return nil }
            guard range.contains(value) else {
                log.report(
                    "must lie in \(UnitFormat.trimmed(range.lowerBound))...\(UnitFormat.trimmed(range.upperBound)), "
                        + "got \(UnitFormat.trimmed(value))", at: node.mark, path: path)
                return nil
            }
            return .number(value)
        case .fraction:
            return log.fraction(node, path).map(SettingValue.number)
        case .choice(let choices):
            return log.choice(node, path, among: choices, what: "value of \(setting.key)").map(SettingValue.choice)
        }
    }

    /// The footprint of `model` on `dataset`'s samples, or nil after reporting why it cannot be built.
    func measure(_ model: ModelSpec, for dataset: DatasetSpec, training: LocalTraining) -> ModelFootprint? {
        do {
            return try ModelFootprint.measure(
                model, for: dataset, batch: training.batch, momentum: training.momentum > 0)
        } catch {
            let shape = dataset.sampleShape.map(String.init).joined(separator: "x")
            log.report(
                "\(model.name) cannot take \(dataset.displayName) samples of shape \(shape): \(error)",
                path: log.wasWritten("model.name") ? "model.name" : "model")
            return nil
        }
    }

    /// Reports every group whose memory budget cannot hold the model's training floor.
    func checkBudgets(
        _ groups: [ClientGroup?], footprint: ModelFootprint, model: ModelSpec, method: MethodSpec,
        training: LocalTraining
    ) {
        let density = methods.descriptor(named: method.name)?.trainingDensity(method.settings) ?? 1
        let floor = footprint.trainingFloor(momentum: training.momentum > 0, density: density)
        let dense = density >= 1 ? "dense" : "at density \(UnitFormat.trimmed(density)) under \(method.name)"
        let optimizer =
            training.momentum > 0
            ? "momentum buffers \(ByteFormat.topology(floor.optimizer))" : "no momentum buffers since momentum is 0"
        for (index, group) in groups.enumerated() {
            guard let memory = group?.memory, memory < floor.total else { continue }
            log.report(
                "memory budget \(ByteFormat.topology(memory)) is too small for \(model.name) "
                    + "(\(UnitFormat.count(footprint.trainableCount)) trainable parameters, \(dense)): training needs "
                    + "at least \(UnitFormat.count(floor.total)) bytes (\(ByteFormat.topologyRoundedUp(floor.total))) "
                    + "before activations: parameters \(ByteFormat.topology(floor.parameters)), gradients "
                    + "\(ByteFormat.topology(floor.gradients)), \(optimizer); raise the budget or choose a smaller model",
                path: "groups[\(index)].memory")
        }
    }

    /// Notes on every group whose budget holds the training floor but not dense training on one full
    /// batch, so that its clients will refuse each task on which they hold a full batch.
    ///
    /// Only for dense methods: a sparse method's peak depends on the masks it draws at run time.
    func batchNotes(
        _ groups: [ClientGroup?], footprint: ModelFootprint, model: ModelSpec, method: MethodSpec,
        training: LocalTraining
    ) -> [String] {
        let density = methods.descriptor(named: method.name)?.trainingDensity(method.settings) ?? 1
        guard density >= 1, let peak = footprint.denseBatchPeak else { return [] }
        return groups.enumerated().compactMap { index, group in
            guard let group, let memory = group.memory, memory < peak else { return nil }
            return "groups[\(index)] (\(group.name)): memory budget \(ByteFormat.topology(memory)) is below the "
                + "\(ByteFormat.topologyRoundedUp(peak)) that dense \(model.name) training needs with batches of "
                + "\(training.batch) (parameters, gradients, optimizer state, one batch and its activations): its "
                + "clients will refuse every task on which they hold \(training.batch) samples or more"
        }
    }
}
