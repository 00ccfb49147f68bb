package dev.boxkit.cli;

import dev.boxkit.oci.InvalidInputException;
import dev.boxkit.sandbox.InvalidSandboxSpecException;
import dev.boxkit.sandbox.Mount;
import dev.boxkit.sandbox.SandboxSpec;
import dev.boxkit.sandbox.cdi.CdiName;
import java.nio.file.Path;

/**
 * {@code --device}: a CDI device by its fully-qualified name ({@code nvidia.com/gpu=all},
 * resolved from {@code /etc/cdi} and {@code /var/run/cdi} when the sandbox starts), or a host
 * device node by absolute path, optionally with where it appears inside ({@code
 * /dev/fuse[:/dev/fuse]}).
 *
 * @param cdi the CDI name, or null for a node
 * @param node the host node, or null for a CDI name
 */
record DeviceArg(CdiName cdi, Mount.Device node) {

  /**
   * @throws InvalidInputException (field {@code device}) for a path that is not absolute and
   *     normalised, or a name that is not {@code vendor.com/class=name}
   */
  static DeviceArg parse(String text) {
    try {
      if (text.startsWith("/")) {
        int colon = text.indexOf(':');
        Path host = Path.of(colon < 0 ? text : text.substring(0, colon));
        String inside = colon < 0 ? host.toString() : text.substring(colon + 1);
        return new DeviceArg(null, Mount.device(host, inside));
      }
      return new DeviceArg(CdiName.parse(text), null);
    } catch (InvalidSandboxSpecException | java.nio.file.InvalidPathException e) {
      throw new InvalidInputException("device", text, "expected vendor.com/class=name or an"
          + " absolute device path HOST[:DST]: " + e.getMessage());
    }
  }

  /**
   * Adds this device to a run.
   *
   * @param b the spec being built (gets a CDI device)
   * @param mounts the run's mounts after /proc and /dev (gets a node)
   */
  void addTo(SandboxSpec.Builder b, java.util.List<Mount> mounts) {
    if (cdi != null) {
      b.device(cdi.toString());
    } else {
      mounts.add(node);
    }
  }
}
