/// A method's typed settings: a value type whose defaults are those of `init()` and whose
/// settings are declared, one per stored property, with their keys, kinds and summaries.
///
/// The descriptor builds the method from these settings decoded from the topology's values, so
/// a method reads `settings.delta`, never a key.
public protocol MethodSettings: Sendable {
    /// The settings with every default.
    init()
    /// The settings a topology may write, in the order the reference lists them.
    static var declarations: [SettingDeclaration<Self>] { get }
}

extension MethodSettings {
    /// The untyped view of the declarations, with the defaults of `init()`.
    public static var settings: [MethodSetting] { declarations.map(\.setting) }

    /// The settings `values` hold, every other one at its default.
    /// - Throws: `FederationError` naming `method` and the key for a value of the wrong kind or
    ///   out of range, a required setting missing, or a key the method does not declare.
    public static func decode(_ values: [String: SettingValue], method: String) throws -> Self {
        var settings = Self()
        for declaration in declarations {
            let key = declaration.setting.key
            guard let value = values[key] else {
                guard declaration.setting.defaultValue != nil else {
                    throw FederationError("\(method): the setting '\(key)' is required")
                }
                continue
            }
            guard declaration.setting.accepts(value), declaration.assign(&settings, value) else {
                throw FederationError("\(method): '\(value)' is not a valid value of '\(key)'")
            }
        }
        let known = Set(declarations.map(\.setting.key))
        if let unknown = values.keys.sorted().first(where: { !known.contains($0) }) {
            throw FederationError("\(method) has no setting '\(unknown)'")
        }
        return settings
    }

    /// The value of every declared setting in `self`, by key: what a topology would write.
    public var values: [String: SettingValue] {
        Dictionary(uniqueKeysWithValues: Self.declarations.map { ($0.setting.key, $0.read(self)) })
    }
}

/// The settings of a method that takes none.
public struct NoSettings: MethodSettings {
    /// Creates the empty settings.
    public init() {}

    /// No declarations.
    public static var declarations: [SettingDeclaration<NoSettings>] { [] }
}

/// One setting of a `MethodSettings` type: its key, kind, summary, and the stored property it fills.
public struct SettingDeclaration<Settings: MethodSettings>: Sendable {
    /// The setting as a topology writes it; its default is the property's value in `Settings()`.
    public let setting: MethodSetting
    /// The property's value, as a setting value.
    let read: @Sendable (Settings) -> SettingValue
    /// Stores `value` in the property; false when `value` is not of the property's kind.
    let assign: @Sendable (inout Settings, SettingValue) -> Bool

    /// Creates a declaration; `required` leaves the setting without a default.
    init(
        key: String, kind: MethodSetting.Kind, summary: String, required: Bool,
        read: @escaping @Sendable (Settings) -> SettingValue,
        assign: @escaping @Sendable (inout Settings, SettingValue) -> Bool
    ) {
        setting = MethodSetting(
            key: key, kind: kind, defaultValue: required ? nil : read(Settings()), summary: summary)
        self.read = read
        self.assign = assign
    }

    /// A whole number in `range`.
    public static func integer(
        _ key: String, _ path: WritableKeyPath<Settings, Int> & Sendable, in range: ClosedRange<Int>, _ summary: String
    ) -> Self {
        Self(key: key, kind: .integer(range), summary: summary, required: false, read: { .integer($0[keyPath: path]) })
        {
            guard case .integer(let value) = $1 else { return false }
            $0[keyPath: path] = value
            return true
        }
    }

    /// A number in `range`; `required` leaves it without a default.
    public static func number(
        _ key: String, _ path: WritableKeyPath<Settings, Double> & Sendable, in range: ClosedRange<Double>,
        required: Bool = false, _ summary: String
    ) -> Self {
        Self(key: key, kind: .number(range), summary: summary, required: required, read: { .number($0[keyPath: path]) })
        {
            guard case .number(let value) = $1 else { return false }
            $0[keyPath: path] = value
            return true
        }
    }

    /// A fraction in (0, 1]; `required` leaves it without a default.
    public static func fraction(
        _ key: String, _ path: WritableKeyPath<Settings, Double> & Sendable, required: Bool = false,
        _ summary: String
    ) -> Self {
        Self(key: key, kind: .fraction, summary: summary, required: required, read: { .number($0[keyPath: path]) }) {
            guard case .number(let value) = $1 else { return false }
            $0[keyPath: path] = value
            return true
        }
    }

    /// `true` or `false`.
    public static func boolean(
        _ key: String, _ path: WritableKeyPath<Settings, Bool> & Sendable, _ summary: String
    ) -> Self {
        Self(key: key, kind: .boolean, summary: summary, required: false, read: { .boolean($0[keyPath: path]) }) {
            guard case .boolean(let value) = $1 else { return false }
            $0[keyPath: path] = value
            return true
        }
    }

    /// One of `words`, each standing for a value of the property.
    public static func choice<Value: Equatable & Sendable>(
        _ key: String, _ path: WritableKeyPath<Settings, Value> & Sendable, _ words: [(word: String, value: Value)],
        _ summary: String
    ) -> Self {
        Self(
            key: key, kind: .choice(words.map(\.word)), summary: summary, required: false,
            read: { settings in .choice(words.first { $0.value == settings[keyPath: path] }?.word ?? "") }
        ) { settings, value in
            guard case .choice(let word) = value, let match = words.first(where: { $0.word == word }) else {
                return false
            }
            settings[keyPath: path] = match.value
            return true
        }
    }

    /// One of the raw values of an enumeration, in the order of its cases.
    public static func choice<Value: RawRepresentable<String> & CaseIterable & Equatable & Sendable>(
        _ key: String, _ path: WritableKeyPath<Settings, Value> & Sendable, _ summary: String
    ) -> Self {
        choice(key, path, Value.allCases.map { (word: $0.rawValue, value: $0) }, summary)
    }

    /// This declaration for settings held at `path` of a larger settings type, with that type's default.
    public func within<Outer: MethodSettings>(_ path: WritableKeyPath<Outer, Settings> & Sendable)
        -> SettingDeclaration<Outer>
    {
        let read = self.read
        let assign = self.assign
        return SettingDeclaration<Outer>(
            key: setting.key, kind: setting.kind, summary: setting.summary, required: setting.defaultValue == nil,
            read: { read($0[keyPath: path]) }, assign: { assign(&$0[keyPath: path], $1) })
    }
}
