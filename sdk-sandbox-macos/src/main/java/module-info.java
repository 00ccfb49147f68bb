/**
 * BoxKit's micro-VM sandbox backend (QEMU on Linux, vfkit on macOS). Provides {@link
 * dev.boxkit.sandbox.spi.SandboxProvider} to {@code dev.boxkit.api}'s {@link
 * java.util.ServiceLoader}.
 */
module dev.boxkit.sandbox.vm {
  requires transitive dev.boxkit.api;
  requires org.apache.commons.compress;

  exports dev.boxkit.sandbox.vm;

  provides dev.boxkit.sandbox.spi.SandboxProvider with dev.boxkit.sandbox.vm.VmSandboxProvider;
}
