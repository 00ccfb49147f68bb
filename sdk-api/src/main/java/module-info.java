/**
 * BoxKit's API: image building ({@code dev.boxkit.image}) and sandboxes ({@code
 * dev.boxkit.sandbox}), with the service interface backends implement ({@code
 * dev.boxkit.sandbox.spi.SandboxProvider}, found with {@link java.util.ServiceLoader}). Put a
 * backend module on the module path beside it, e.g. {@code dev.boxkit.sandbox.linux}: it
 * {@code provides} the service, so no {@code --add-modules} is needed.
 *
 * <p>{@code dev.boxkit.sandbox.internal.egress} is shared with the backends only.
 */
module dev.boxkit.api {
  requires transitive dev.boxkit.oci;
  requires com.fasterxml.jackson.dataformat.yaml;

  exports dev.boxkit.image;
  exports dev.boxkit.sandbox;
  exports dev.boxkit.sandbox.cdi;
  exports dev.boxkit.sandbox.seccomp;
  exports dev.boxkit.sandbox.spi;
  exports dev.boxkit.sandbox.internal.egress to dev.boxkit.sandbox.linux, dev.boxkit.sandbox.vm;

  uses dev.boxkit.sandbox.spi.SandboxProvider;
}
