// Command weft-profiles-receiver is the OTLP profiles sink of ebpf-profiler-check.sh.
//
// It listens for OTLP/gRPC profiles (the OpenTelemetry eBPF profiler's -collection-agent) and
// writes one line per sample of the process -pid to -out:
//
//	sample <tid> <trace_id hex|-> <span_id hex|-> <count>
//
// and, once per resource that names -pid, its attributes:
//
//	resource <key>=<value> ...
//
// It is built inside the profiler's own source tree (copied there by the script) so that it
// decodes profiles with exactly the pdata version the profiler encodes them with.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"sort"
	"strings"
	"sync"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pprofile/pprofileotlp"
	"google.golang.org/grpc"
	_ "google.golang.org/grpc/encoding/gzip" // the profiler compresses its exports
)

type sink struct {
	pprofileotlp.UnimplementedGRPCServer
	pid int64
	mu  sync.Mutex
	out *os.File
}

func attrString(m pcommon.Map) string {
	var kv []string
	m.Range(func(k string, v pcommon.Value) bool {
		kv = append(kv, k+"="+strings.ReplaceAll(v.AsString(), " ", "_"))
		return true
	})
	sort.Strings(kv)
	return strings.Join(kv, " ")
}

func (s *sink) Export(_ context.Context, req pprofileotlp.ExportRequest) (pprofileotlp.ExportResponse, error) {
	p := req.Profiles()
	dict := p.Dictionary()
	strs := dict.StringTable()
	attrs := dict.AttributeTable()
	links := dict.LinkTable()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := 0; i < p.ResourceProfiles().Len(); i++ {
		rp := p.ResourceProfiles().At(i)
		pidv, ok := rp.Resource().Attributes().Get("process.pid")
		if !ok || pidv.Int() != s.pid {
			continue
		}
		fmt.Fprintf(s.out, "resource %s\n", attrString(rp.Resource().Attributes()))
		for j := 0; j < rp.ScopeProfiles().Len(); j++ {
			profs := rp.ScopeProfiles().At(j).Profiles()
			for k := 0; k < profs.Len(); k++ {
				samples := profs.At(k).Samples()
				for n := 0; n < samples.Len(); n++ {
					sm := samples.At(n)
					tid := int64(-1)
					for _, ai := range sm.AttributeIndices().AsRaw() {
						if int(ai) >= attrs.Len() {
							continue
						}
						a := attrs.At(int(ai))
						if int(a.KeyStrindex()) < strs.Len() && strs.At(int(a.KeyStrindex())) == "thread.id" {
							tid = a.Value().Int()
						}
					}
					trace, span := "-", "-"
					if li := int(sm.LinkIndex()); li > 0 && li < links.Len() {
						l := links.At(li)
						if !l.TraceID().IsEmpty() {
							trace = l.TraceID().String()
						}
						if !l.SpanID().IsEmpty() {
							span = l.SpanID().String()
						}
					}
					count := sm.TimestampsUnixNano().Len()
					if count == 0 {
						count = 1
					}
					fmt.Fprintf(s.out, "sample %d %s %s %d\n", tid, trace, span, count)
				}
			}
		}
	}
	return pprofileotlp.NewExportResponse(), nil
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	pid := flag.Int64("pid", 0, "process whose samples are written")
	out := flag.String("out", "", "output file")
	addrFile := flag.String("addr-file", "", "file that receives the address actually listened on")
	flag.Parse()
	if *pid <= 0 || *out == "" || *addrFile == "" {
		log.Fatal("weft-profiles-receiver: -pid, -out and -addr-file are required")
	}
	f, err := os.Create(*out)
	if err != nil {
		log.Fatalf("weft-profiles-receiver: %v", err)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("weft-profiles-receiver: listen %s: %v", *listen, err)
	}
	if err := os.WriteFile(*addrFile, []byte(ln.Addr().String()+"\n"), 0o644); err != nil {
		log.Fatalf("weft-profiles-receiver: %v", err)
	}
	srv := grpc.NewServer()
	pprofileotlp.RegisterGRPCServer(srv, &sink{pid: *pid, out: f})
	log.Fatal(srv.Serve(ln))
}
