package dev.boxkit.cli;

import dev.boxkit.oci.InvalidInputException;
import dev.boxkit.sandbox.EgressPolicy;
import dev.boxkit.sandbox.InvalidSandboxSpecException;
import dev.boxkit.sandbox.NetworkMode;
import java.util.Arrays;

/**
 * {@code --network none|host|allow:DEST[,DEST...]}: no network, the host's, or a network of
 * its own whose only way out is BoxKit's egress proxy, allowing exactly the destinations listed
 * ({@link EgressPolicy} entries: {@code api.example.org:443}, {@code *.example.org},
 * {@code 10.0.0.0/8}).
 *
 * @param mode the network mode
 * @param egress the allow-list, {@link EgressPolicy#denyAll()} for none and host
 */
record NetworkArg(NetworkMode mode, EgressPolicy egress) {

  /** @throws InvalidInputException (field {@code network}) for anything else, naming the bad entry */
  static NetworkArg parse(String text) {
    if (text.equals("none")) {
      return new NetworkArg(NetworkMode.NONE, EgressPolicy.denyAll());
    }
    if (text.equals("host")) {
      return new NetworkArg(NetworkMode.HOST, EgressPolicy.denyAll());
    }
    if (text.startsWith("allow:") && text.length() > "allow:".length()) {
      try {
        return new NetworkArg(NetworkMode.NONE,
            EgressPolicy.allow(Arrays.asList(text.substring("allow:".length()).split(",", -1))));
      } catch (InvalidSandboxSpecException e) {
        throw new InvalidInputException("network", text, e.getMessage());
      }
    }
    throw new InvalidInputException("network", text,
        "expected none, host or allow:DEST[,DEST...] (e.g. allow:*.maven.org:443,10.0.0.0/8)");
  }
}
