package dev.boxkit.sandbox;

/**
 * A published TCP port: connections to {@code 127.0.0.1:hostPort} on the host reach {@code
 * 127.0.0.1:sandboxPort} inside the sandbox's own network namespace, as {@code docker run -p
 * 127.0.0.1:HOST:SANDBOX} or Testcontainers' mapped ports do. The sandbox gets no route out
 * through it. Only IPv4 loopback on both sides: a service inside must listen on {@code
 * 127.0.0.1} or {@code 0.0.0.0}.
 *
 * @param hostPort the host port, 1..65535, or 0 for a free port the kernel picks (read it with
 *     {@link SandboxProcess#mappedPort(int)})
 * @param sandboxPort the port inside, 1..65535
 */
public record PortMapping(int hostPort, int sandboxPort) {
  /** @throws InvalidSandboxSpecException naming {@code ports} when a port is out of range */
  public PortMapping {
    if (hostPort < 0 || hostPort > 65535) {
      throw new InvalidSandboxSpecException("ports", "host port " + hostPort + " is outside 0..65535");
    }
    if (sandboxPort < 1 || sandboxPort > 65535) {
      throw new InvalidSandboxSpecException("ports", "sandbox port " + sandboxPort + " is outside 1..65535");
    }
  }
}
