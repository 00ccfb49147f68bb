/** File-system helpers every BoxKit module shares (one recursive delete). */
package dev.boxkit.oci.io;
