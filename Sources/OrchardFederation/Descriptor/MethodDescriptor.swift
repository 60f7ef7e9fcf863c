/// Everything about one method: its name, its typed settings, and how to build its two halves.
///
/// A method declares its settings once, as a `MethodSettings` type; the topology loader checks
/// `method:` against `settings` (kinds, ranges, required keys, with line and column), and the
/// descriptor decodes the checked values into that type and hands it to the server and client
/// halves it builds.
public struct MethodDescriptor: Sendable {
    /// The name written after `method:`.
    public let name: String
    /// One sentence about the method, for help and the reference.
    public let summary: String
    /// The settings the method accepts, with their defaults.
    public let settings: [MethodSetting]
    private let density: @Sendable ([String: SettingValue]) throws -> Double
    private let makeServer: @Sendable (MethodSetup) throws -> any ServerMethod
    private let makeClient: @Sendable (MethodSetup) throws -> any ClientMethod

    /// Creates the descriptor of a method whose settings are `Settings`.
    ///
    /// `trainingDensity` is the fraction of the model's trainable weights a client holds while
    /// training, in (0, 1], which sets the smallest memory budget that can hold it: 1 for a dense
    /// method.
    public init<Settings: MethodSettings>(
        name: String, summary: String, settings: Settings.Type,
        trainingDensity: @escaping @Sendable (Settings) -> Double = { _ in 1 },
        server: @escaping @Sendable (MethodSetup, Settings) throws -> any ServerMethod,
        client: @escaping @Sendable (MethodSetup, Settings) throws -> any ClientMethod
    ) {
        self.name = name
        self.summary = summary
        self.settings = Settings.settings
        density = { trainingDensity(try Settings.decode($0, method: name)) }
        makeServer = { setup in try server(setup, try Settings.decode(setup.settings, method: name)) }
        makeClient = { setup in try client(setup, try Settings.decode(setup.settings, method: name)) }
    }

    /// The fraction of the trainable weights a client trains under `values` (every declared
    /// setting, defaults filled in); 1 when the values do not decode.
    public func trainingDensity(_ values: [String: SettingValue]) -> Double {
        (try? density(values)) ?? 1
    }

    /// The default of every setting that has one, by key.
    public var defaults: [String: SettingValue] {
        var values: [String: SettingValue] = [:]
        for setting in settings { values[setting.key] = setting.defaultValue }
        return values
    }

    /// Builds the server half from `setup` and its `settings`.
    public func server(_ setup: MethodSetup) throws -> any ServerMethod { try makeServer(setup) }

    /// Builds the client half from `setup` and its `settings`; one serves every logical client of a host.
    public func client(_ setup: MethodSetup) throws -> any ClientMethod { try makeClient(setup) }
}
