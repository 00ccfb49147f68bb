/** What every BoxKit module shares: the root of its exceptions, {@link dev.boxkit.BoxKitException}. */
package dev.boxkit;
