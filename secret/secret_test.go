package secret

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestValueNeverPrints(t *testing.T) {
	v := New([]byte("hunter2"))
	var logs strings.Builder
	slog.New(slog.NewTextHandler(&logs, nil)).Info("x", "v", v)
	j, _ := json.Marshal(struct{ V Value }{v})
	for _, s := range []string{fmt.Sprint(v), fmt.Sprintf("%v %+v %#v %s", v, v, v, v), string(j), logs.String()} {
		if strings.Contains(s, "hunter2") || !strings.Contains(s, "[redacted]") {
			t.Errorf("printed %q", s)
		}
	}
}

func TestValueEqual(t *testing.T) {
	b := []byte("hunter2")
	v := New(b)
	b[0] = 'X' // New copies
	if !v.Equal([]byte("hunter2")) || v.Equal([]byte("hunter3")) || v.Equal(nil) || v.Len() != 7 || v.IsZero() {
		t.Fatal("Equal/Len/IsZero wrong")
	}
	if !(Value{}).IsZero() {
		t.Fatal("zero Value not IsZero")
	}
}
