package dev.boxkit.image;

/** Receives {@link BuildEvent}s; must return quickly and not throw. */
@FunctionalInterface
public interface BuildListener {
  /** A listener that ignores every event. */
  BuildListener NONE = event -> { };

  /** @param event what happened */
  void onEvent(BuildEvent event);
}
