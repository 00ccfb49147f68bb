package dev.boxkit.cli;

import dev.boxkit.oci.InvalidInputException;

/**
 * A user as {@code --user} and an image's {@code User} write it: {@code user}, {@code uid},
 * {@code user:group} or {@code uid:gid} (image-spec {@code config.md}).
 *
 * @param user a name or a decimal uid, not empty
 * @param group a name or a decimal gid, or null when not given
 */
record UserArg(String user, String group) {

  /** @throws InvalidInputException (field {@code user}) when malformed */
  static UserArg parse(String text) {
    if (text == null || !text.matches("[^:\\s]+(:[^:\\s]+)?")) {
      throw new InvalidInputException("user", text, "expected user, uid, user:group or uid:gid");
    }
    int colon = text.indexOf(':');
    return colon < 0 ? new UserArg(text, null)
        : new UserArg(text.substring(0, colon), text.substring(colon + 1));
  }

  @Override
  public String toString() {
    return group == null ? user : user + ":" + group;
  }
}
