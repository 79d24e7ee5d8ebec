/**
 * The OpenTelemetry autoconfigure SPI: an application that autoconfigures its SDK gets a
 * {@link dev.weft.WeftCollector} that exports the native spans through that SDK's own span
 * exporters with its Resource, with no Weft code. See
 * {@link dev.weft.autoconfigure.WeftAutoConfigurationCustomizerProvider}.
 */
@ParametersAreNonnullByDefault
package dev.weft.autoconfigure;

import javax.annotation.ParametersAreNonnullByDefault;
