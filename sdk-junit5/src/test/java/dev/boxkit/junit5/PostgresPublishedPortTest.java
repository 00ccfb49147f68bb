package dev.boxkit.junit5;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.boxkit.sandbox.Mount;
import dev.boxkit.sandbox.ResourceLimits;
import dev.boxkit.sandbox.Rootfs;
import dev.boxkit.sandbox.Sandbox;
import dev.boxkit.sandbox.SandboxDirectories;
import dev.boxkit.sandbox.SandboxSpec;
import dev.boxkit.testing.ExternalTools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real PostgreSQL server in a sandbox with no network of its own, reached by the JDBC driver
 * through a published port. The server comes from Debian's .debs unpacked (not installed) into
 * the tree named by {@code BOXKIT_POSTGRES_TREE} (see {@code .ci/run}); it runs on the host's
 * read-only root with that tree bound at {@code /opt}, as {@code nobody} (PostgreSQL refuses
 * root), its data in a writable bind.
 */
class PostgresPublishedPortTest {
  static final String TREE_VARIABLE = "BOXKIT_POSTGRES_TREE";
  private static final String BIN = "/opt/usr/lib/postgresql/15/bin";
  /** Debian's nobody: a uid with a passwd entry on the host root, which initdb looks up. */
  private static final int NOBODY = 65534;

  @TempDir Path tmp;

  private static Path tree() {
    String dir = System.getenv(TREE_VARIABLE);
    ExternalTools.requireHost(dir != null && Files.isExecutable(Path.of(dir, BIN.substring(5), "postgres")),
        "set " + TREE_VARIABLE + " to a directory where postgresql-15 and its libraries are unpacked:"
            + " apt-get download postgresql-15 libpq5 libicu72 libxml2 libldap-2.5-0 libsasl2-2"
            + " libsasl2-modules-db libgssapi-krb5-2 libkrb5-3 libk5crypto3 libkrb5support0 liblz4-1"
            + " libzstd1, then dpkg-deb -x each into it (as .ci/run does)");
    return Path.of(dir);
  }

  @Test
  void jdbcWritesAndReadsRowsThroughThePublishedPort() throws Exception {
    Path tree = tree();
    Path data = SandboxDirectories.createWritable(tmp.resolve("data"));
    String script = BIN + "/initdb -D /mnt/pg -U postgres --auth=trust --locale=C -E UTF8 --no-sync >/dev/null"
        + " && exec " + BIN + "/postgres -D /mnt/pg -c listen_addresses=127.0.0.1 -p 5432"
        + " -c unix_socket_directories= -c fsync=off -c jit=off";
    SandboxSpec spec = Sandbox.builder()
        .root(Rootfs.hostReadOnly())
        .command("/bin/sh", "-c", script)
        .env("PATH", "/usr/bin:/bin")
        .env("LD_LIBRARY_PATH", "/opt/usr/lib/x86_64-linux-gnu")
        .user(NOBODY, NOBODY)
        .mounts(List.of(Mount.proc(), Mount.devMinimal(), Mount.tmpfs("/tmp", 64L << 20),
            Mount.bind(tree, "/opt"), Mount.bind(data, "/mnt").readWrite()))
        .limits(ResourceLimits.NONE)
        .publish(5432)
        .build();
    try (SandboxService db = SandboxService.start(spec, Readiness.port(5432), Duration.ofMinutes(2))) {
      String url = "jdbc:postgresql://127.0.0.1:" + db.mappedPort(5432) + "/postgres";
      try (Connection c = DriverManager.getConnection(url, "postgres", "")) {
        try (Statement s = c.createStatement()) {
          s.execute("CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL)");
        }
        try (PreparedStatement insert = c.prepareStatement("INSERT INTO notes VALUES (?, ?)")) {
          for (int i = 1; i <= 3; i++) {
            insert.setInt(1, i);
            insert.setString(2, "note " + i);
            insert.addBatch();
          }
          assertEquals(3, insert.executeBatch().length);
        }
      }
      // A second connection sees what the first committed.
      try (Connection c = DriverManager.getConnection(url, "postgres", "");
           ResultSet r = c.createStatement().executeQuery("SELECT id, body FROM notes ORDER BY id")) {
        List<String> rows = new ArrayList<>();
        while (r.next()) {
          rows.add(r.getInt(1) + ":" + r.getString(2));
        }
        assertEquals(List.of("1:note 1", "2:note 2", "3:note 3"), rows, db.describe());
      }
    }
  }
}
