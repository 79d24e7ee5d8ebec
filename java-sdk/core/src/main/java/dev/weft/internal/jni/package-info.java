/**
 * The JNI binding to libweft ({@link dev.weft.internal.jni.WeftJni}) and the logic that loads
 * exactly one libweft into the process.
 *
 * <p>This package is internal and is not an API: its classes can change or disappear in any
 * release. Use {@link dev.weft.Weft} instead.
 */
@ParametersAreNonnullByDefault
package dev.weft.internal.jni;

import javax.annotation.ParametersAreNonnullByDefault;
