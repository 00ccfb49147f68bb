package dev.boxkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Only the subcommand named is set up; help and a misspelt name still see all of them. */
class SubcommandSetupTest {
  @Test
  void helpListsEverySubcommand() {
    Cli.Result r = Cli.run("--help");
    assertEquals(0, r.exitCode(), r.toString());
    for (String name : new String[] {"build", "run", "inspect", "unpack", "copy"}) {
      assertTrue(r.out().contains("  " + name + " "), name + " missing from\n" + r.out());
    }
  }

  @Test
  void aMisspeltSubcommandIsAUsageErrorWithASuggestion() {
    Cli.Result r = Cli.run("inspekt", "oci:x:y");
    assertEquals(2, r.exitCode(), r.toString());
    assertTrue(r.err().contains("inspect"), r.toString());
  }

  @Test
  void theNamedSubcommandRunsWithItsOwnOptions() {
    Cli.Result r = Cli.run("inspect", "--help");
    assertEquals(0, r.exitCode(), r.toString());
    assertTrue(r.out().startsWith("Usage: boxkit inspect"), r.toString());
  }
}
