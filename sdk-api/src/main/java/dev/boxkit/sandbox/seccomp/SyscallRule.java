package dev.boxkit.sandbox.seccomp;

import dev.boxkit.oci.InvalidInputException;
import java.util.List;
import java.util.Objects;

/**
 * One line of a filter's rule table: when {@code syscall} is called and every condition holds,
 * take {@code action}. A filter tries a call's rules in order; the first that matches decides,
 * and a call no rule matches is allowed.
 *
 * @param syscall the system call's name as in {@link SeccompArch#knownSyscalls()}
 * @param conditions tests on its arguments, all of which must hold (empty: always matches); at most 6
 * @param action what to do when the rule matches
 */
public record SyscallRule(String syscall, List<ArgCondition> conditions, SeccompAction action) {
  /** Most conditions one rule may carry; keeps every jump in a rule within BPF's 8-bit offsets. */
  public static final int MAX_CONDITIONS = 6;

  /** Validates the name against the syscall table and copies the list. */
  public SyscallRule {
    if (syscall == null || !SeccompArch.knownSyscalls().contains(syscall)) {
      throw new InvalidInputException("syscall", syscall,
          "not in BoxKit's syscall table; known: " + SeccompArch.knownSyscalls());
    }
    if (conditions == null || conditions.size() > MAX_CONDITIONS || conditions.stream().anyMatch(Objects::isNull)) {
      throw new InvalidInputException("conditions", String.valueOf(conditions),
          "must be a list of at most " + MAX_CONDITIONS + " non-null conditions");
    }
    if (action == null) {
      throw new InvalidInputException("action", null, "must not be null");
    }
    conditions = List.copyOf(conditions);
  }

  /**
   * @param args the call's six arguments
   * @return whether every condition holds
   */
  public boolean matches(long[] args) {
    for (ArgCondition c : conditions) {
      if (!c.test(args)) {
        return false;
      }
    }
    return true;
  }

  @Override
  public String toString() {
    return syscall + (conditions.isEmpty() ? "" : " if " + conditions) + " -> " + action;
  }
}
