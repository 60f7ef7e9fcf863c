import GRDB

/// The store's SQLite schema, as GRDB migrations named `v1`, `v2`, ...
///
/// A migration, once released, never changes: a later schema adds a migration. A file records
/// the migrations applied to it (GRDB's `grdb_migrations` table), so that a binary can tell a file
/// that needs upgrading from one written by a newer binary. `docs/store.md` describes every column.
enum Schema {
    /// The SQLite header's application id of an Orchard store: the ASCII bytes `ORCH`.
    ///
    /// Together with the migrations table, it tells an Orchard store from any other SQLite file.
    static let applicationID: Int32 = 0x4F52_4348

    /// The migrations this binary knows, in order.
    static var migrationNames: [String] { migrator.migrations }

    /// Applies the missing migrations, each in its own transaction.
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: "PRAGMA application_id = \(applicationID)")
            try db.execute(sql: version1)
        }
        migrator.registerMigration("v2") { db in try db.execute(sql: version2) }
        // v3 rebuilds `client_rounds`, which `client_metrics` references: the default deferred
        // foreign key checks run it with foreign keys off (so that dropping the old table deletes
        // no figure) and check every key before it commits.
        migrator.registerMigration("v3", foreignKeyChecks: .deferred) { db in try db.execute(sql: version3) }
        migrator.registerMigration("v4") { db in try db.execute(sql: version4) }
        migrator.registerMigration("v5") { db in try db.execute(sql: version5) }
        migrator.registerMigration("v6") { db in try db.execute(sql: version6) }
        return migrator
    }()

    /// Migrations a read-only store can do without: a file that lacks only these is read as if
    /// their tables were empty.
    ///
    /// A reader cannot upgrade a file, and `orchard report` on a run written by an older binary
    /// should not need a writer first. Only a migration that adds tables, and no column, belongs
    /// here (`v3` also widens a CHECK constraint, which changes nothing a reader sees).
    static let readableWithout: Set<String> = ["v2", "v3", "v4", "v5", "v6"]

    /// The first schema: runs, their clients, rounds and their rows, and checkpoints.
    ///
    /// Times are seconds (`*_at` columns: since 1970-01-01 UTC), sizes bytes, bandwidths bits per
    /// second. The children of a round reference it with `ON DELETE CASCADE`, so that deleting a
    /// round's row removes everything the round wrote (what resuming does after a checkpoint).
    /// The tables are STRICT (SQLite 3.37 or later), so that every value has its column's type.
    static let version1 = """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL,
            topology_yaml TEXT NOT NULL,
            topology_sha256 TEXT NOT NULL,
            method TEXT NOT NULL,
            model TEXT NOT NULL,
            dataset TEXT NOT NULL,
            seed INTEGER NOT NULL,
            orchard_version TEXT NOT NULL,
            processes INTEGER NOT NULL CHECK (processes >= 0),
            planned_rounds INTEGER NOT NULL CHECK (planned_rounds >= 0),
            checkpoint_interval INTEGER NOT NULL CHECK (checkpoint_interval >= 1),
            started_at REAL NOT NULL,
            ended_at REAL,
            status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'stopped', 'failed')),
            status_detail TEXT,
            resume_count INTEGER NOT NULL DEFAULT 0 CHECK (resume_count >= 0)
        ) STRICT;

        CREATE TABLE clients (
            run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            client INTEGER NOT NULL CHECK (client >= 0),
            group_name TEXT NOT NULL,
            memory_budget_bytes INTEGER CHECK (memory_budget_bytes >= 0),
            uplink_bps REAL NOT NULL CHECK (uplink_bps >= 0),
            downlink_bps REAL NOT NULL CHECK (downlink_bps >= 0),
            latency_seconds REAL NOT NULL CHECK (latency_seconds >= 0),
            compute_flops REAL NOT NULL CHECK (compute_flops >= 0),
            availability REAL NOT NULL CHECK (availability BETWEEN 0 AND 1),
            train_samples INTEGER NOT NULL CHECK (train_samples >= 0),
            test_samples INTEGER NOT NULL CHECK (test_samples >= 0),
            validation_samples INTEGER NOT NULL CHECK (validation_samples >= 0),
            PRIMARY KEY (run, client)
        ) STRICT, WITHOUT ROWID;

        CREATE TABLE rounds (
            run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            round INTEGER NOT NULL CHECK (round >= 1),
            phase TEXT NOT NULL,
            sim_start REAL NOT NULL,
            sim_seconds REAL NOT NULL CHECK (sim_seconds >= 0),
            wall_seconds REAL NOT NULL CHECK (wall_seconds >= 0),
            coordinator_seconds REAL NOT NULL CHECK (coordinator_seconds >= 0),
            sampled INTEGER NOT NULL CHECK (sampled >= 0),
            answered INTEGER NOT NULL CHECK (answered >= 0),
            dropped INTEGER NOT NULL CHECK (dropped >= 0),
            global_density REAL,
            test_accuracy REAL,
            test_loss REAL,
            train_loss REAL,
            committed_at REAL NOT NULL,
            PRIMARY KEY (run, round)
        ) STRICT, WITHOUT ROWID;

        CREATE TABLE client_rounds (
            run INTEGER NOT NULL,
            round INTEGER NOT NULL,
            client INTEGER NOT NULL,
            task TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('ok', 'dropped', 'timeout', 'refused', 'error')),
            reason TEXT,
            samples INTEGER NOT NULL CHECK (samples >= 0),
            loss REAL,
            accuracy REAL,
            flops INTEGER CHECK (flops >= 0),
            memory_budget_bytes INTEGER CHECK (memory_budget_bytes >= 0),
            predicted_peak_bytes INTEGER CHECK (predicted_peak_bytes >= 0),
            measured_peak_bytes INTEGER CHECK (measured_peak_bytes >= 0),
            sim_seconds REAL CHECK (sim_seconds >= 0),
            wall_seconds REAL CHECK (wall_seconds >= 0),
            PRIMARY KEY (run, round, client, task),
            FOREIGN KEY (run, round) REFERENCES rounds(run, round) ON DELETE CASCADE,
            FOREIGN KEY (run, client) REFERENCES clients(run, client) ON DELETE CASCADE
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX client_rounds_by_client ON client_rounds(run, client);

        CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            run INTEGER NOT NULL,
            round INTEGER NOT NULL,
            client INTEGER,
            direction TEXT NOT NULL CHECK (direction IN ('down', 'up')),
            kind TEXT NOT NULL,
            encoding TEXT NOT NULL,
            bytes INTEGER NOT NULL CHECK (bytes >= 0),
            envelope_bytes INTEGER CHECK (envelope_bytes >= 0),
            analytic_bytes INTEGER CHECK (analytic_bytes >= 0),
            FOREIGN KEY (run, round) REFERENCES rounds(run, round) ON DELETE CASCADE,
            FOREIGN KEY (run, client) REFERENCES clients(run, client) ON DELETE CASCADE
        ) STRICT;
        CREATE INDEX messages_by_round ON messages(run, round);
        CREATE INDEX messages_by_client ON messages(run, client);

        CREATE TABLE layers (
            run INTEGER NOT NULL,
            round INTEGER NOT NULL,
            layer TEXT NOT NULL,
            density REAL NOT NULL CHECK (density BETWEEN 0 AND 1),
            parameters INTEGER CHECK (parameters >= 0),
            PRIMARY KEY (run, round, layer),
            FOREIGN KEY (run, round) REFERENCES rounds(run, round) ON DELETE CASCADE
        ) STRICT, WITHOUT ROWID;

        CREATE TABLE checkpoints (
            run INTEGER NOT NULL,
            round INTEGER NOT NULL,
            sim_time REAL NOT NULL,
            state BLOB NOT NULL,
            names TEXT NOT NULL,
            value_count INTEGER NOT NULL CHECK (value_count >= 0),
            state_sha256 TEXT NOT NULL,
            extra BLOB,
            created_at REAL NOT NULL,
            PRIMARY KEY (run, round),
            FOREIGN KEY (run, round) REFERENCES rounds(run, round) ON DELETE CASCADE
        ) STRICT;
        """

    /// The second schema: the figures clients report that have no column of `client_rounds`.
    ///
    /// One row per figure of a task, named as the client names it (`topk_k`, `loss_sum.0`,
    /// `missing_mask`, ...). A row references its task's `client_rounds` row with `ON DELETE
    /// CASCADE`, so that deleting a round (resuming) deletes its figures too. A NaN is NULL.
    static let version2 = """
        CREATE TABLE client_metrics (
            run INTEGER NOT NULL,
            round INTEGER NOT NULL,
            client INTEGER NOT NULL,
            task TEXT NOT NULL,
            name TEXT NOT NULL CHECK (name <> ''),
            value REAL,
            PRIMARY KEY (run, round, client, task, name),
            FOREIGN KEY (run, round, client, task) REFERENCES client_rounds(run, round, client, task)
                ON DELETE CASCADE
        ) STRICT, WITHOUT ROWID;
        """

    /// The third schema: the `rejected` task status, and the records of hosts and hostile peers.
    ///
    /// SQLite cannot alter a CHECK constraint, so `client_rounds` is rebuilt as SQLite's "other
    /// kinds of table schema changes" prescribe (create the new table, copy, drop the old one,
    /// rename, recreate its index), with the same columns and keys; the migration runs with foreign
    /// keys off and checked before it commits (`Schema.migrator`). `host_events` holds what
    /// happened to client hosts, `peer_rejections` the messages rejected per peer and error code;
    /// both belong to a round, with `ON DELETE CASCADE`.
    static let version3 = """
        CREATE TABLE new_client_rounds (
            run INTEGER NOT NULL,
            round INTEGER NOT NULL,
            client INTEGER NOT NULL,
            task TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('ok', 'dropped', 'timeout', 'refused', 'error', 'rejected')),
            reason TEXT,
            samples INTEGER NOT NULL CHECK (samples >= 0),
            loss REAL,
            accuracy REAL,
            flops INTEGER CHECK (flops >= 0),
            memory_budget_bytes INTEGER CHECK (memory_budget_bytes >= 0),
            predicted_peak_bytes INTEGER CHECK (predicted_peak_bytes >= 0),
            measured_peak_bytes INTEGER CHECK (measured_peak_bytes >= 0),
            sim_seconds REAL CHECK (sim_seconds >= 0),
            wall_seconds REAL CHECK (wall_seconds >= 0),
            PRIMARY KEY (run, round, client, task),
            FOREIGN KEY (run, round) REFERENCES rounds(run, round) ON DELETE CASCADE,
            FOREIGN KEY (run, client) REFERENCES clients(run, client) ON DELETE CASCADE
        ) STRICT, WITHOUT ROWID;
        INSERT INTO new_client_rounds (run, round, client, task, status, reason, samples, loss, accuracy, flops,
            memory_budget_bytes, predicted_peak_bytes, measured_peak_bytes, sim_seconds, wall_seconds)
        SELECT run, round, client, task, status, reason, samples, loss, accuracy, flops, memory_budget_bytes,
            predicted_peak_bytes, measured_peak_bytes, sim_seconds, wall_seconds
        FROM client_rounds;
        DROP TABLE client_rounds;
        ALTER TABLE new_client_rounds RENAME TO client_rounds;
        CREATE INDEX client_rounds_by_client ON client_rounds(run, client);

        CREATE TABLE host_events (
            run INTEGER NOT NULL,
            round INTEGER NOT NULL,
            seq INTEGER NOT NULL CHECK (seq >= 0),
            host_id TEXT NOT NULL CHECK (host_id <> ''),
            event TEXT NOT NULL CHECK (event IN ('joined', 'rejoined', 'lost', 'refused')),
            software_version TEXT,
            clients TEXT,
            reason TEXT,
            PRIMARY KEY (run, round, seq),
            FOREIGN KEY (run, round) REFERENCES rounds(run, round) ON DELETE CASCADE
        ) STRICT, WITHOUT ROWID;

        CREATE TABLE peer_rejections (
            run INTEGER NOT NULL,
            round INTEGER NOT NULL,
            peer TEXT NOT NULL CHECK (peer <> ''),
            code TEXT NOT NULL CHECK (code <> ''),
            count INTEGER NOT NULL CHECK (count >= 0),
            example TEXT,
            PRIMARY KEY (run, round, peer, code),
            FOREIGN KEY (run, round) REFERENCES rounds(run, round) ON DELETE CASCADE
        ) STRICT, WITHOUT ROWID;
        """

    /// The fourth schema: `link_times`, each answered task's measured time on its link beside the
    /// virtual clock's prediction, written by runs that measure their links (`--measure-links`).
    static let version4 = """
        CREATE TABLE link_times (
            run INTEGER NOT NULL,
            round INTEGER NOT NULL,
            client INTEGER NOT NULL,
            measured_seconds REAL NOT NULL CHECK (measured_seconds >= 0),
            predicted_seconds REAL NOT NULL CHECK (predicted_seconds >= 0),
            bytes_down INTEGER NOT NULL CHECK (bytes_down >= 0),
            bytes_up INTEGER NOT NULL CHECK (bytes_up >= 0),
            PRIMARY KEY (run, round, client),
            FOREIGN KEY (run, round) REFERENCES rounds(run, round) ON DELETE CASCADE,
            FOREIGN KEY (run, client) REFERENCES clients(run, client) ON DELETE CASCADE
        ) STRICT, WITHOUT ROWID;
        """

    /// The fifth schema: the mask health of each round of a pruned model.
    ///
    /// `mask_health` holds the network's outputs (its classes) and those no path of kept weights
    /// joins to the input; `layer_health` holds, per weight layer in the network's order
    /// (`position`), its kept and total weights and its output units with and without such a
    /// path. Both belong to a round, with `ON DELETE CASCADE`.
    static let version5 = """
        CREATE TABLE mask_health (
            run INTEGER NOT NULL,
            round INTEGER NOT NULL,
            outputs INTEGER NOT NULL CHECK (outputs >= 0),
            dead_outputs INTEGER NOT NULL CHECK (dead_outputs BETWEEN 0 AND outputs),
            PRIMARY KEY (run, round),
            FOREIGN KEY (run, round) REFERENCES rounds(run, round) ON DELETE CASCADE
        ) STRICT, WITHOUT ROWID;

        CREATE TABLE layer_health (
            run INTEGER NOT NULL,
            round INTEGER NOT NULL,
            position INTEGER NOT NULL CHECK (position >= 0),
            layer TEXT NOT NULL CHECK (layer <> ''),
            kept INTEGER NOT NULL CHECK (kept BETWEEN 0 AND weights),
            weights INTEGER NOT NULL CHECK (weights >= 0),
            outputs INTEGER NOT NULL CHECK (outputs >= 0),
            dead_outputs INTEGER NOT NULL CHECK (dead_outputs BETWEEN 0 AND outputs),
            PRIMARY KEY (run, round, layer),
            FOREIGN KEY (run, round) REFERENCES mask_health(run, round) ON DELETE CASCADE
        ) STRICT, WITHOUT ROWID;
        """

    /// The sixth schema: each client's evaluation of its own model on its held-out split, for
    /// personalized methods.
    ///
    /// One row per client whose result of the round was used and carried the figures of
    /// `PersonalEvaluation` (OrchardFederation): the held-out samples, the accuracy and the mean
    /// loss. A row belongs to its round and its client, with `ON DELETE CASCADE`.
    static let version6 = """
        CREATE TABLE client_evaluations (
            run INTEGER NOT NULL,
            round INTEGER NOT NULL,
            client INTEGER NOT NULL CHECK (client >= 0),
            samples INTEGER NOT NULL CHECK (samples >= 1),
            accuracy REAL NOT NULL CHECK (accuracy BETWEEN 0 AND 1),
            loss REAL CHECK (loss >= 0),
            PRIMARY KEY (run, round, client),
            FOREIGN KEY (run, round) REFERENCES rounds(run, round) ON DELETE CASCADE,
            FOREIGN KEY (run, client) REFERENCES clients(run, client) ON DELETE CASCADE
        ) STRICT, WITHOUT ROWID;
        """
}
