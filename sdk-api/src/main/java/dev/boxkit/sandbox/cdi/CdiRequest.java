package dev.boxkit.sandbox.cdi;

import dev.boxkit.sandbox.InvalidSandboxSpecException;
import java.nio.file.Path;
import java.util.List;

/**
 * The CDI devices a {@link dev.boxkit.sandbox.SandboxSpec} asks for, and where their specs are.
 * Nothing is read when this is made: a provider resolves it when the sandbox is launched (see
 * {@link dev.boxkit.sandbox.spi.Devices#resolve}).
 *
 * @param devices the requested devices, in order; empty for none (the default)
 * @param specDirs the CDI spec directories, lowest priority first, absolute; default {@link
 *     CdiRegistry#DEFAULT_SPEC_DIRS}
 * @param skipHooks whether a requested device whose spec has hooks is applied without them
 *     (true), or refused naming the hook (false, the default)
 */
public record CdiRequest(List<CdiName> devices, List<Path> specDirs, boolean skipHooks) {
  /** No devices, the default directories, hooks refused. */
  public static final CdiRequest NONE = new CdiRequest(List.of(), CdiRegistry.DEFAULT_SPEC_DIRS, false);

  /** @throws InvalidSandboxSpecException naming {@code devices} or {@code cdiSpecDirs} */
  public CdiRequest {
    if (devices == null || devices.stream().anyMatch(java.util.Objects::isNull)) {
      throw new InvalidSandboxSpecException("devices", "must not be or hold null");
    }
    if (specDirs == null || specDirs.stream().anyMatch(d -> d == null || !d.isAbsolute())) {
      throw new InvalidSandboxSpecException("cdiSpecDirs", specDirs + " must be absolute paths");
    }
    devices = List.copyOf(devices);
    specDirs = List.copyOf(specDirs);
  }

  /** @return whether no device is requested */
  public boolean isEmpty() {
    return devices.isEmpty();
  }
}
