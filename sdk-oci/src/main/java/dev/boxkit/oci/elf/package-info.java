/**
 * Host ELF programs and the closure of files they need at run time (interpreter, shared
 * libraries, the symlinks leading to them), so an image can hold a program without a base image,
 * the way Nix closures do. Follows the System V ABI (ELF, {@code PT_INTERP}, {@code PT_DYNAMIC})
 * and glibc's {@code ld.so(8)} search order.
 */
package dev.boxkit.oci.elf;
