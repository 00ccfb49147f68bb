package dev.boxkit.sandbox.linux;

import dev.boxkit.sandbox.EgressEvent;
import dev.boxkit.sandbox.EgressPolicy;
import dev.boxkit.sandbox.SandboxSpec;
import dev.boxkit.sandbox.internal.egress.EgressProxy;
import dev.boxkit.sandbox.internal.egress.Resolver;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A sandbox's egress allow-list: the proxy on the host's loopback that the sandbox reaches at
 * {@link #SANDBOX_PORT} inside (op FORWARD_OUT), the environment that points programs at it, and
 * the refusals it recorded. Wraps the sandbox's other resources; the proxy is closed when they
 * are finished, after the sandbox ended.
 */
final class EgressResources extends LayeredResources {
  private static final Logger LOG = LoggerFactory.getLogger(EgressResources.class);

  /** The proxy's port on the sandbox's own loopback (Squid's customary port). */
  static final int SANDBOX_PORT = 3128;

  private final EgressProxy proxy;
  private final List<EgressEvent> denied = Collections.synchronizedList(new ArrayList<>());

  private EgressResources(SandboxResources inner, EgressPolicy policy, Consumer<EgressEvent> listener) {
    super(inner);
    Resolver pinnedFirst = host -> {
      List<InetAddress> pinned = policy.pinnedHosts().get(host.toLowerCase(java.util.Locale.ROOT));
      return pinned != null ? pinned : Resolver.system().resolve(host);
    };
    this.proxy = EgressProxy.start(policy, pinnedFirst, e -> {
      denied.add(e);
      if (listener != null) {
        listener.accept(e);
      }
    });
  }

  /** Starts the proxy for {@code spec}'s allow-list around {@code inner}. */
  static EgressResources start(SandboxSpec spec, SandboxResources inner) {
    return new EgressResources(inner, spec.egress(), spec.egressListener());
  }

  /** @return the proxy's port on the host's loopback */
  int hostPort() {
    return proxy.port();
  }

  /**
   * The spec with the proxy variables set, where the spec does not set them itself. Programs
   * that honour them go through the proxy; any other connection has no route.
   */
  static SandboxSpec withProxyEnv(SandboxSpec spec) {
    String url = "http://127.0.0.1:" + SANDBOX_PORT;
    SandboxSpec.Builder b = spec.toBuilder();
    java.util.Map<String, String> env = spec.env();
    for (String k : List.of("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy")) {
      if (!env.containsKey(k)) {
        b.env(k, url);
      }
    }
    for (String k : List.of("NO_PROXY", "no_proxy")) {
      if (!env.containsKey(k)) {
        b.env(k, "localhost,127.0.0.1,::1");
      }
    }
    String javaOpts = "-Dhttp.proxyHost=127.0.0.1 -Dhttp.proxyPort=" + SANDBOX_PORT
        + " -Dhttps.proxyHost=127.0.0.1 -Dhttps.proxyPort=" + SANDBOX_PORT
        + " -Dhttp.nonProxyHosts=localhost|127.0.0.1";
    String existing = env.get("JAVA_TOOL_OPTIONS");
    b.env("JAVA_TOOL_OPTIONS", existing == null || existing.isBlank() ? javaOpts : existing + " " + javaOpts);
    return b.build();
  }

  @Override
  void release() {
    try {
      proxy.close();
    } catch (RuntimeException e) {
      LOG.warn("closing the egress proxy: {}", e.toString());
    }
  }

  @Override
  Usage usage(Usage u) {
    List<EgressEvent> events;
    synchronized (denied) {
      events = List.copyOf(denied);
    }
    return new Usage(u.peakMemoryBytes(), u.oomKilled(), events);
  }
}
