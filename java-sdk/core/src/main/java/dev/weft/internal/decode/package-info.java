/**
 * Decoding one span record into {@code SpanData}: the decoder and its byte-string caches,
 * and the immutable {@code SpanData}, {@code SpanContext} and {@code Attributes} views it builds;
 * {@code SpanSink} is what decoded spans are handed to.
 *
 * <p>This package is internal and is not an API: its classes can change or disappear in any
 * release. Use {@link dev.weft.WeftCollector} instead.
 */
@ParametersAreNonnullByDefault
package dev.weft.internal.decode;

import javax.annotation.ParametersAreNonnullByDefault;
