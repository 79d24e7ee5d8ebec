// Command weft-go-cgo is the Go/cgo example of Weft: a Go program traced with the
// OpenTelemetry Go SDK calls an instrumented C library through cgo, hands it its
// span context (runtime.LockOSThread + weft_context_attach), and the C library
// calls back into Go. The Go spans leave through the Go SDK; the C spans go into
// this process's Weft segment, which `weft collect` exports under the process's
// own Resource. Jaeger shows one trace: go.request -> codec.process ->
// (codec.frame x N, go.on_processed).
//
// Configuration is the standard OTEL_* environment (OTEL_EXPORTER_OTLP_ENDPOINT,
// OTEL_SERVICE_NAME, ...) for both sides; WEFT_SHM_DIR names the segment's
// directory. It prints "trace <id>" for each request.
package main

/*
#cgo LDFLAGS: -lweft
#include "codec.h"
*/
import "C"

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"
	"unsafe"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

var tracer trace.Tracer

// goOnProcessed is the C library's callback into Go, on the thread that called it.
//
//export goOnProcessed
func goOnProcessed(parent *C.weft_context_t, frames C.int) {
	var sc trace.SpanContextConfig
	copy(sc.TraceID[:], C.GoBytes(unsafe.Pointer(&parent.trace_id[0]), 16))
	copy(sc.SpanID[:], C.GoBytes(unsafe.Pointer(&parent.span_id[0]), 8))
	sc.TraceFlags = trace.TraceFlags(parent.trace_flags)
	ctx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(sc))
	_, span := tracer.Start(ctx, "go.on_processed",
		trace.WithAttributes(attribute.Int("codec.frames", int(frames))))
	span.End()
}

// process runs one request: a Go span, the C library under it, the callback under that.
func process(ctx context.Context, frames int) (string, error) {
	ctx, span := tracer.Start(ctx, "go.request", trace.WithSpanKind(trace.SpanKindServer))
	defer span.End()
	sc := span.SpanContext()
	var parent C.weft_context_t
	traceID, spanID := sc.TraceID(), sc.SpanID()
	for i := 0; i < 16; i++ {
		parent.trace_id[i] = C.uint8_t(traceID[i])
	}
	for i := 0; i < 8; i++ {
		parent.span_id[i] = C.uint8_t(spanID[i])
	}
	parent.trace_flags = C.uint8_t(sc.TraceFlags())
	// Weft's span stack belongs to the OS thread: keep this goroutine on it from the attach
	// to the detach (both inside codec_process).
	runtime.LockOSThread()
	rc := C.codec_process(&parent, C.int(frames))
	runtime.UnlockOSThread()
	if rc != 0 {
		return "", fmt.Errorf("codec_process: weft_context_attach returned %d", int(rc))
	}
	return traceID.String(), nil
}

func main() {
	requests := flag.Int("requests", 1, "requests to run")
	frames := flag.Int("frames", 3, "frames per request")
	hold := flag.Duration("hold", 0, "stay up this long after the requests (so that weft collect drains the segment while the process runs)")
	flag.Parse()

	ctx := context.Background()
	exporter, err := otlptracegrpc.New(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "weft-go-cgo: exporter:", err)
		os.Exit(1)
	}
	res, err := resource.New(ctx, resource.WithFromEnv(), resource.WithTelemetrySDK(),
		resource.WithProcessPID(), resource.WithProcessExecutableName())
	if err != nil {
		fmt.Fprintln(os.Stderr, "weft-go-cgo: resource:", err)
		os.Exit(1)
	}
	provider := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter),
		sdktrace.WithResource(res))
	tracer = provider.Tracer("example.go-cgo", trace.WithInstrumentationVersion("1.0.0"))

	for i := 0; i < *requests; i++ {
		id, err := process(ctx, *frames)
		if err != nil {
			fmt.Fprintln(os.Stderr, "weft-go-cgo:", err)
			os.Exit(1)
		}
		fmt.Println("trace", id)
	}
	time.Sleep(*hold)
	shutdown, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := provider.Shutdown(shutdown); err != nil {
		fmt.Fprintln(os.Stderr, "weft-go-cgo: shutdown:", err)
		os.Exit(1)
	}
	// No weft_shutdown: it would remove the segment before `weft collect` has drained it. The
	// segment stays; weft collect drains it while the process runs and exports what is left
	// (then removes the file) once the process has exited.
}
