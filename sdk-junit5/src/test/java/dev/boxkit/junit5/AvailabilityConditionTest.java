package dev.boxkit.junit5;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;

/** Where no sandbox can run, classes are skipped with the provider's reason, or fail when required. */
class AvailabilityConditionTest {
  private static final String WHY = "linux-namespaces: user namespaces are disabled (user.max_user_namespaces=0)";

  @Test
  void skipsWithTheProvidersReason() {
    ConditionEvaluationResult r = BoxKitExtension.decide(Optional.of(WHY), false);
    assertTrue(r.isDisabled());
    assertEquals("BoxKit cannot run sandboxes on this host: " + WHY, r.getReason().orElseThrow());
  }

  @Test
  void failsWhenSandboxesAreRequired() {
    ExtensionConfigurationException e = assertThrows(ExtensionConfigurationException.class,
        () -> BoxKitExtension.decide(Optional.of(WHY), true));
    assertTrue(e.getMessage().contains(WHY), e.getMessage());
    assertTrue(e.getMessage().contains(BoxKitExtension.REQUIRED_PARAMETER), e.getMessage());
  }

  @Test
  void runsWhereAProviderIsUsable() {
    assertFalse(BoxKitExtension.decide(Optional.empty(), true).isDisabled());
  }
}
