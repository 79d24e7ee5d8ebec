// Command compose-validate loads a Compose file with compose-go, the reference
// implementation of the Compose Specification that Docker Compose v2 uses, so
// the file can be validated without a Docker engine. On top of the schema and
// consistency checks it enforces Weft's conventions:
//
//   - every image is pinned to an exact version tag (no "latest", no bare
//     name, no floating major/minor such as "2" or "2.9");
//   - every published port is bound to 127.0.0.1 unless -allow-public-ports;
//   - every bind-mounted host path exists.
//
// Usage: compose-validate [-allow-public-ports] docker-compose.yml
// Prints the normalized project as YAML with -print. Exit 0 when valid, 1 when
// not, 2 on usage errors.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// exactTag accepts tags like 0.162.0, 2.13.0, 12.3.0, v1.2.3, 1.2.3-alpine.
var exactTag = regexp.MustCompile(`^v?[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$`)

func main() {
	allowPublic := flag.Bool("allow-public-ports", false, "allow ports published on all interfaces")
	printYAML := flag.Bool("print", false, "print the normalized project as YAML")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: compose-validate [-allow-public-ports] [-print] docker-compose.yml")
		os.Exit(2)
	}
	file, err := filepath.Abs(flag.Arg(0))
	if err != nil {
		fail(err)
	}
	opts, err := cli.NewProjectOptions([]string{file},
		cli.WithWorkingDirectory(filepath.Dir(file)),
		cli.WithOsEnv,
		cli.WithName("weft"),
		cli.WithConsistency(true),
		cli.WithResolvedPaths(true),
	)
	if err != nil {
		fail(err)
	}
	project, err := opts.LoadProject(context.Background())
	if err != nil {
		fail(err)
	}

	var problems []string
	names := make([]string, 0, len(project.Services))
	for name := range project.Services {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		svc := project.Services[name]
		if svc.Image == "" {
			if svc.Build == nil {
				problems = append(problems, fmt.Sprintf("service %q: neither image nor build", name))
			}
		} else if msg := checkImage(svc.Image); msg != "" {
			problems = append(problems, fmt.Sprintf("service %q: image %q: %s", name, svc.Image, msg))
		}
		for _, p := range svc.Ports {
			if p.Published == "" {
				continue
			}
			if p.HostIP != "127.0.0.1" && !*allowPublic {
				problems = append(problems, fmt.Sprintf("service %q: port %s:%d is published on %q, expected 127.0.0.1",
					name, p.Published, p.Target, hostIP(p.HostIP)))
			}
		}
		for _, v := range svc.Volumes {
			if v.Type != types.VolumeTypeBind {
				continue
			}
			if _, err := os.Stat(v.Source); err != nil {
				problems = append(problems, fmt.Sprintf("service %q: bind mount source %s: %v", name, v.Source, err))
			}
		}
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(os.Stderr, "compose-validate:", p)
		}
		os.Exit(1)
	}
	if *printYAML {
		out, err := project.MarshalYAML()
		if err != nil {
			fail(err)
		}
		os.Stdout.Write(out)
	}
	fmt.Fprintf(os.Stderr, "compose-validate: %s is valid (%d services: %s)\n",
		flag.Arg(0), len(names), strings.Join(names, ", "))
}

func checkImage(image string) string {
	if strings.Contains(image, "@sha256:") {
		return "" // pinned by digest
	}
	ref := image
	if i := strings.LastIndex(ref, "/"); i >= 0 {
		ref = ref[i+1:]
	}
	i := strings.LastIndex(ref, ":")
	if i < 0 {
		return "no tag (implies latest); pin an exact version"
	}
	tag := ref[i+1:]
	if !exactTag.MatchString(tag) {
		return fmt.Sprintf("tag %q is not an exact version (want MAJOR.MINOR.PATCH)", tag)
	}
	return ""
}

func hostIP(ip string) string {
	if ip == "" {
		return "all interfaces"
	}
	return ip
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "compose-validate:", err)
	os.Exit(1)
}
