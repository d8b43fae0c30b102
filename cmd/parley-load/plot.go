package main

import (
	"bytes"
	"fmt"
)

// plot draws throughput (accepted and sent per second) and send latency
// (p50, p99) over time as an SVG with two panels.
func plot(r *Result) []byte {
	const w, h, pad = 900, 260, 50
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`, w, 2*h+40)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`)
	fmt.Fprintf(&b, `<text x="%d" y="18" font-size="14">%s — target %d/s: %.0f accepted/s, %.0f sent/s, p50 %.1f ms, p99 %.1f ms</text>`, pad, r.Scenario, r.TargetRate, r.AcceptedPerSec, r.SentPerSec, r.SendP50Ms, r.SendP99Ms)
	panel(&b, r, 30, w, h, pad, "events per second", []series{
		{"accepted", "#1f77b4", func(s Second) float64 { return float64(s.Accepted) }},
		{"sent", "#2ca02c", func(s Second) float64 { return float64(s.Sent) }},
	})
	panel(&b, r, 30+h+10, w, h, pad, "accept → emulator (ms)", []series{
		{"p50", "#ff7f0e", func(s Second) float64 { return s.SendP50Ms }},
		{"p99", "#d62728", func(s Second) float64 { return s.SendP99Ms }},
	})
	b.WriteString(`</svg>`)
	return b.Bytes()
}

type series struct {
	name, color string
	value       func(Second) float64
}

func panel(b *bytes.Buffer, r *Result, top, w, h, pad int, title string, ss []series) {
	maxV := 1.0
	for _, s := range r.Seconds {
		for _, se := range ss {
			if v := se.value(s); v > maxV {
				maxV = v
			}
		}
	}
	n := len(r.Seconds)
	if n < 2 {
		n = 2
	}
	x := func(i int) float64 { return float64(pad) + float64(i)*float64(w-2*pad)/float64(n-1) }
	y := func(v float64) float64 { return float64(top+h-pad/2) - v/maxV*float64(h-pad) }
	fmt.Fprintf(b, `<text x="%d" y="%d">%s (max %.0f)</text>`, pad, top+12, title, maxV)
	fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#888"/>`, pad, y(0), w-pad, y(0))
	fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#888"/>`, pad, y(0), pad, y(maxV))
	for k, se := range ss {
		fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="2" points="`, se.color)
		for i, s := range r.Seconds {
			fmt.Fprintf(b, "%.1f,%.1f ", x(i), y(se.value(s)))
		}
		b.WriteString(`"/>`)
		fmt.Fprintf(b, `<text x="%d" y="%d" fill="%s">%s</text>`, w-pad-120+k*60, top+12, se.color, se.name)
	}
	fmt.Fprintf(b, `<text x="%d" y="%.1f">0</text><text x="%d" y="%.1f">%ds</text>`, pad-12, y(0)+4, w-pad-10, y(0)+16, len(r.Seconds)-1)
}
