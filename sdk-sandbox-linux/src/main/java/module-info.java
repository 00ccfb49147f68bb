/**
 * BoxKit's Linux sandbox backend: namespaces, cgroups and seccomp set up by the bundled native
 * helper. Provides {@link dev.boxkit.sandbox.spi.SandboxProvider} to {@code dev.boxkit.api}'s
 * {@link java.util.ServiceLoader}. The package that declares libc for JNA is opened to it.
 */
module dev.boxkit.sandbox.linux {
  requires transitive dev.boxkit.api;
  requires com.sun.jna;

  exports dev.boxkit.sandbox.linux;
  exports dev.boxkit.sandbox.linux.cgroup;

  opens dev.boxkit.sandbox.linux to com.sun.jna;

  provides dev.boxkit.sandbox.spi.SandboxProvider with dev.boxkit.sandbox.linux.LinuxSandboxProvider;
}
