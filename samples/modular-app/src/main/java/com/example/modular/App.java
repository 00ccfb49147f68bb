package com.example.modular;

import dev.boxkit.image.Image;
import dev.boxkit.image.Layer;
import dev.boxkit.image.OciLayoutTarget;
import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.Sandbox;
import dev.boxkit.sandbox.spi.SandboxProvider;
import java.nio.file.Path;

/**
 * Builds an image holding {@code /bin/sh}, writes it to an OCI layout and runs it in a sandbox,
 * all from the module path. Exits 0 when the sandbox printed what it was told to, and the
 * provider that ran it came from the named module {@code dev.boxkit.sandbox.linux}.
 */
public final class App {
  private App() {}

  /** @param args the OCI layout directory to write */
  public static void main(String[] args) {
    Image image = Image.builder()
        .layer(Layer.fromExecutables(Path.of("/bin/sh")))
        .entrypoint("/bin/sh")
        .build();
    image.writeTo(OciLayoutTarget.of(Path.of(args[0]), "modular:1"));

    // The backend is on the module path only: the module system bound it as a provider.
    SandboxProvider provider = Sandbox.providers().stream()
        .filter(p -> "dev.boxkit.sandbox.linux".equals(p.getClass().getModule().getName()))
        .findFirst().orElseThrow(() -> new IllegalStateException(
            "no provider from module dev.boxkit.sandbox.linux among " + Sandbox.providers()));
    String module = provider.getClass().getModule().getName();
    if (provider.unavailableReason().isPresent() && !"1".equals(System.getenv("BOXKIT_REQUIRE_TOOLS"))) {
      System.out.println("found " + provider.name() + " in module " + module + "; not run here: "
          + provider.unavailableReason().get());
      return;
    }
    ExecResult r = Sandbox.builder().image(image).command("-c", "echo modular $((6 * 7))").run();

    System.out.println("module of " + App.class.getName() + ": " + App.class.getModule().getName());
    System.out.println("provider " + provider.name() + " from module " + module);
    System.out.println("image " + image.digest() + ", sandbox said: " + r.stdoutText().trim());
    boolean ok = App.class.getModule().isNamed() && "dev.boxkit.sandbox.linux".equals(module)
        && r.exitCode() == 0 && r.stdoutText().equals("modular 42\n");
    if (!ok) {
      System.err.println("unexpected: exit " + r.exitCode() + ", stderr " + r.stderrText());
      System.exit(1);
    }
  }
}
