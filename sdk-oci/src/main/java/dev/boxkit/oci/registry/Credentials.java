package dev.boxkit.oci.registry;

import dev.boxkit.oci.InvalidInputException;

/**
 * A user name and password (or access token used as password) for one registry. {@link
 * #toString()} never shows the password.
 *
 * @param username the user name; non-empty
 * @param password the password or token; non-null
 */
public record Credentials(String username, String password) {
  /** @throws InvalidInputException naming {@code username} or {@code password} */
  public Credentials {
    if (username == null || username.isEmpty()) {
      throw new InvalidInputException("username", username, "must not be empty");
    }
    if (password == null) {
      throw new InvalidInputException("password", null, "must not be null");
    }
  }

  /**
   * Parses {@code USER:PASSWORD}, as skopeo's {@code --creds} takes it.
   *
   * @throws InvalidInputException naming {@code credentials} (without echoing the text)
   */
  public static Credentials parse(String userColonPassword) {
    int colon = userColonPassword == null ? -1 : userColonPassword.indexOf(':');
    if (colon <= 0) {
      throw new InvalidInputException("credentials", "<hidden>", "expected USER:PASSWORD");
    }
    return new Credentials(userColonPassword.substring(0, colon), userColonPassword.substring(colon + 1));
  }

  @Override
  public String toString() {
    return "Credentials[username=" + username + ", password=<hidden>]";
  }
}
