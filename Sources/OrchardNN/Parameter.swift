import OrchardTensor

/// A tensor a layer owns across steps, its gradient if it is trained, and its momentum if an
/// optimizer keeps one.
///
/// A weight can be held three ways:
/// - dense: `value` has the full `shape`;
/// - masked: `value` has the full shape with zeros at pruned positions, and each backward pass
///   zeroes the gradient there, so the weight stays pruned; this is faster than sparse kernels at
///   high densities;
/// - compact: `value`, `gradient` and `momentum` hold only the kept entries, in the order of
///   `pattern` (row-major over the weight seen as a [shape[0], rest] matrix), so that memory and
///   compute scale with the kept count.
///
/// Changing the pattern carries values and momentum over at positions kept in both; positions
/// that come back start at zero, as do their momentum.
public final class Parameter {
    /// The logical (dense) shape.
    public let shape: [Int]
    /// What it is.
    public let kind: ParameterKind
    /// The current values: the dense tensor, or the kept entries when `isCompact`.
    public private(set) var value: Tensor
    /// The gradient of the loss, laid out as `value`; `nil` for running statistics.
    public private(set) var gradient: Tensor?
    /// The optimizer's momentum, laid out as `value`, once an optimizer with momentum has stepped.
    public var momentum: Tensor?
    /// The kept positions, when the parameter is pruned; `nil` when dense.
    public private(set) var pattern: SparsePattern?
    /// Whether only the kept entries are stored (see the type's description).
    public private(set) var isCompact = false
    /// Whether the optimizer leaves it alone although backward writes its gradient, as a
    /// supermask's effective weight and bias; such a parameter has no momentum.
    public internal(set) var isFrozen = false

    /// Creates a dense parameter of the given shape; trainable kinds get a gradient tensor.
    public init(shape: [Int], kind: ParameterKind) {
        self.shape = shape
        self.kind = kind
        value = Tensor(zeros: shape, role: .parameter)
        gradient = kind.isTrainable ? Tensor(zeros: shape, role: .gradient) : nil
    }

    /// The number of values of the dense shape.
    public var denseCount: Int { shape.reduce(1, *) }

    /// The dense weight seen as a matrix: the first dimension by the product of the others.
    public var matrixShape: (rows: Int, columns: Int) {
        let rows = shape.first ?? 1
        return (rows, rows == 0 ? 0 : denseCount / rows)
    }

    /// The fraction of positions kept: 1 when dense.
    public var density: Double {
        guard let pattern else { return 1 }
        return denseCount == 0 ? 1 : Double(pattern.count) / Double(denseCount)
    }

    /// Bytes of values and indices this parameter holds (not its gradient or momentum).
    public var storedBytes: Int { value.byteCount + (pattern?.indexBytes ?? 0) }
}

extension Parameter {
    /// Keeps only the positions of `pattern`, stored compactly or masked.
    ///
    /// Values and momentum at positions kept before and now carry over; newly kept positions start
    /// at zero. Passing `nil` makes the parameter dense again (pruned positions hold zero).
    public func prune(to newPattern: SparsePattern?, compact: Bool) {
        if let newPattern {
            precondition(
                newPattern.rows == matrixShape.rows && newPattern.columns == matrixShape.columns,
                "pattern \(newPattern.rows)x\(newPattern.columns) for parameter of shape \(shape)")
        }
        let keepsCompact = compact && newPattern != nil
        value = carried(value, role: .parameter, to: newPattern, compact: keepsCompact)
        momentum = momentum.map { carried($0, role: .optimizerState, to: newPattern, compact: keepsCompact) }
        if let gradient {
            // A gradient is overwritten by every backward pass; only its layout matters.
            self.gradient =
                keepsCompact
                ? Tensor.reusing(isCompact ? gradient : nil, shape: [newPattern!.count], role: .gradient)
                : Tensor.reusing(isCompact ? nil : gradient, shape: shape, role: .gradient)
        }
        pattern = newPattern
        isCompact = keepsCompact
    }

    /// `tensor` (laid out as now) re-laid out for `newPattern`, zero where not kept before.
    private func carried(_ tensor: Tensor, role: TensorRole, to newPattern: SparsePattern?, compact: Bool) -> Tensor {
        // Dense values to read from: the tensor itself, unless it holds only kept entries.
        let source = isCompact ? densified(tensor) : tensor
        if let newPattern, compact {
            let kept = Tensor(zeros: [newPattern.count], role: role)
            newPattern.gather(from: source.data, into: kept.data)
            return kept
        }
        let dense = source.copy(role: role)
        newPattern?.zeroOutside(dense.data)
        return dense
    }

    /// A dense copy of a tensor laid out as `value`.
    private func densified(_ tensor: Tensor) -> Tensor {
        let dense = Tensor(zeros: shape, role: .workspace)
        if isCompact, let pattern {
            pattern.scatter(tensor.data, into: dense.data)
        } else {
            dense.assign(from: tensor)
        }
        return dense
    }

    /// The values as a dense tensor of `shape`: a new tensor when compact, else `value` itself.
    public func denseValue() -> Tensor {
        isCompact ? densified(value).copy(role: .parameter) : value
    }

    /// Sets the values from a dense buffer of `denseCount` values, keeping only kept positions.
    public func assignDense(_ source: UnsafePointer<Float>) {
        if isCompact, let pattern {
            pattern.gather(from: source, into: value.data)
            return
        }
        value.data.update(from: source, count: denseCount)
        pattern?.zeroOutside(value.data)
    }

    /// Zeroes the gradient at pruned positions of a masked parameter, so the step keeps them pruned.
    func maskGradient() {
        guard !isCompact, let pattern, let gradient else { return }
        pattern.zeroOutside(gradient.data)
    }
}

extension SparsePattern {
    /// Sets every entry of a dense [rows, columns] buffer that the pattern does not keep to zero.
    func zeroOutside(_ dense: UnsafeMutablePointer<Float>) {
        for row in 0..<rows {
            var next = row * columns
            let end = next + columns
            for entry in Int(rowStarts[row])..<Int(rowStarts[row + 1]) {
                let kept = row * columns + Int(columnIndices[entry])
                (dense + next).update(repeating: 0, count: kept - next)
                next = kept + 1
            }
            (dense + next).update(repeating: 0, count: end - next)
        }
    }
}
