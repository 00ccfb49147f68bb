/** An AI agent in a jail: one project directory writable, nothing else visible, no network. */
package dev.boxkit.samples.agent;
