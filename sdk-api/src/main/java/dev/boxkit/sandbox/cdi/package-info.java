/**
 * Devices for sandboxes described by the
 * <a href="https://github.com/cncf-tags/container-device-interface/blob/main/SPEC.md">Container
 * Device Interface (CDI) specification</a>, versions 0.3.0 to 0.8.0 and 1.0: spec files in JSON
 * or YAML ({@link dev.boxkit.sandbox.cdi.CdiSpec}), found in spec directories ({@link
 * dev.boxkit.sandbox.cdi.CdiRegistry}) and requested by fully-qualified name ({@link
 * dev.boxkit.sandbox.cdi.CdiName}, {@code vendor.com/class=name}); plus a built-in discovery of
 * NVIDIA GPUs for hosts without a CDI spec for them ({@link
 * dev.boxkit.sandbox.cdi.NvidiaDiscovery}). The edits a spec names are applied to a sandbox by
 * {@link dev.boxkit.sandbox.spi.Devices}, when it is launched.
 *
 * <p>Every type here is an immutable value unless it says otherwise; arguments and results are
 * non-null unless documented otherwise.
 */
package dev.boxkit.sandbox.cdi;
