package radiussrv

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"time"

	"layeh.com/radius"
	"layeh.com/radius/rfc2865"

	"radiusd/auth"
)

// Reject reasons for failures of the decision itself.
const (
	reasonTimeout        = "timeout"
	reasonInternalError  = "internal_error"
	reasonChallengeState = "challenge_without_state"
	reasonEncodeFailed   = "reply_too_large"
)

// inbound is a parsed request from a known client whose
// Message-Authenticator, if any, verified.
type inbound struct {
	client *client
	pkt    *radius.Packet
}

// HandlePacket is the whole request path for one datagram raw received
// from the address from: client match, parse, Message-Authenticator,
// duplicate detection, decision and signed reply. It returns the reply to
// send, or nil when the packet is silently dropped (counted in Stats and
// logged at a limited rate). The reply may be shared with the duplicate
// cache: the caller must not modify it. HandlePacket does not retain raw.
// It blocks until the Authenticator decides or Options.RequestTimeout
// passes, and is safe for concurrent use. The UDP loop of Serve and the
// fuzz tests both call it.
func (s *Server) HandlePacket(ctx context.Context, raw []byte, from netip.AddrPort) []byte {
	start := s.opts.Now()
	from = netip.AddrPortFrom(from.Addr().Unmap().WithZone(""), from.Port())
	in, drop := s.admit(raw, from)
	if drop != "" {
		s.dropped(drop, in.client, from)
		return nil
	}
	if in.pkt.Code == radius.CodeStatusServer {
		return s.statusServer(in, from)
	}
	key := dupKey{from: from, id: in.pkt.Identifier, auth: in.pkt.Authenticator}
	status, cached := s.dups.begin(key, s.opts.Now())
	switch status {
	case dupInFlight:
		s.dropped(DropDuplicateInFlight, in.client, from)
		return nil
	case dupAnswered:
		s.stats.duplicates.Add(1)
		s.opts.Observer.Duplicate()
		s.log.Debug("radius duplicate answered from cache",
			"client", in.client.name, "remote", from.String(), "radius_id", in.pkt.Identifier)
		return cached
	}
	out := s.decide(ctx, in, from, start)
	if status == dupNew {
		s.dups.finish(key, out, s.opts.Now())
	}
	return out
}

// admit matches the client, parses raw and checks the code and the
// Message-Authenticator. A non-empty drop reason means discard silently.
func (s *Server) admit(raw []byte, from netip.AddrPort) (inbound, string) {
	var in inbound
	if in.client = s.clients.Load().match(from.Addr()); in.client == nil {
		return in, DropUnknownClient
	}
	if len(raw) > radius.MaxPacketLength {
		return in, DropMalformed
	}
	pkt, err := radius.Parse(raw, nil)
	if err != nil {
		return in, DropMalformed
	}
	in.pkt = pkt
	if pkt.Code != radius.CodeAccessRequest && pkt.Code != radius.CodeStatusServer {
		return in, DropUnsupportedCode
	}
	wire := raw[:int(raw[2])<<8|int(raw[3])] // octets past Length are padding (RFC 2865 §3)
	return in, s.checkMessageAuthenticator(in, wire)
}

// checkMessageAuthenticator applies RFC 3579 §3.2, RFC 5997 §3 and the
// BlastRADIUS rules to the request wire.
func (s *Server) checkMessageAuthenticator(in inbound, wire []byte) string {
	off, err := findMessageAuthenticator(wire)
	switch {
	case err != nil:
		return DropMalformed
	case off >= 0:
		if in.client.signer.verifyMessageAuthenticator(wire, off) != nil {
			return DropBadAuthenticator
		}
		return ""
	case in.pkt.Code == radius.CodeStatusServer || in.client.requireMA:
		return DropMissingMA
	case len(values(in.pkt.Attributes, rfc2865.ProxyState_Type)) > 0:
		return DropProxyStateWithoutMA
	}
	return ""
}

// dropped counts and (rate-limited) logs a silently discarded packet.
func (s *Server) dropped(reason string, c *client, from netip.AddrPort) {
	s.stats.drops[dropIndex(reason)].Add(1)
	s.opts.Observer.Drop(reason)
	name := ""
	if c != nil {
		name = c.name
	}
	s.drops.drop(reason, name, from)
}

// statusServer answers a verified Status-Server with Access-Accept (RFC
// 5997 §3). Status-Server is not subject to duplicate detection.
func (s *Server) statusServer(in inbound, from netip.AddrPort) []byte {
	out, err := encodeReply(in.pkt, in.client.signer, reply{code: radius.CodeAccessAccept})
	if err != nil { // cannot happen: the reply is no longer than the request
		s.dropped(DropMalformed, in.client, from)
		return nil
	}
	s.stats.statusServer.Add(1)
	s.opts.Observer.StatusServer()
	s.log.Debug("radius status-server answered",
		"client", in.client.name, "remote", from.String(), "radius_id", in.pkt.Identifier)
	return out
}

// decide turns an admitted Access-Request into a signed reply. It always
// returns a reply: every failure becomes Access-Reject (fail closed).
func (s *Server) decide(ctx context.Context, in inbound, from netip.AddrPort, start time.Time) []byte {
	ctx, cancel := context.WithTimeout(ctx, s.opts.RequestTimeout)
	defer cancel()
	key := in.client.secret.Bytes()
	pap, reason := decodePAP(in.pkt, key)
	var dec auth.Decision
	var err error
	switch reason {
	case "":
		dec, err = s.authenticate(ctx, in.client, pap, from)
		if err != nil {
			s.log.Error("radius authenticator failed", "user", pap.username,
				"client", in.client.name, "remote", from.String(), "error", err)
		}
	case reasonEAPUnsupported, reasonMSCHAPUnsupported, reasonCHAPUnsupported:
		s.log.Warn("radius authentication method not supported", "reason", reason,
			"user", pap.username, "client", in.client.name, "remote", from.String())
	}
	r, result, reason := replyFor(dec, err, reason)
	if result == auth.Accept {
		r.attrs = in.client.replyAttributes(dec.Groups)
	}
	out, encErr := encodeReply(in.pkt, in.client.signer, r)
	if encErr != nil {
		r, result, reason = reply{code: radius.CodeAccessReject}, auth.Reject, reasonEncodeFailed
		out, _ = encodeReply(in.pkt, in.client.signer, r) // fits: no longer than the request
	}
	s.stats.result(result)
	s.logDecision(ctx, in, from, pap.username, dec.User, result, reason, start)
	return out
}

// authenticate asks the Authenticator. A decision reached after ctx's
// deadline is discarded: the NAS has retransmitted or given up by then.
func (s *Server) authenticate(ctx context.Context, c *client, pap papRequest, from netip.AddrPort) (auth.Decision, error) {
	dec, err := s.auth.Authenticate(ctx, auth.Request{
		Client: c.name, Mode: c.mode, Separator: c.separator,
		Username: pap.username, Password: pap.password, State: pap.state, Remote: from,
	})
	if err == nil && ctx.Err() != nil {
		return dec, ctx.Err()
	}
	return dec, err
}

// replyFor maps a decision to the reply, failing closed: an error, an
// unknown Result or a challenge without a usable State is Access-Reject.
// local is a reject reason found before the Authenticator was asked.
func replyFor(dec auth.Decision, err error, local string) (reply, auth.Result, string) {
	switch {
	case local != "":
		return reply{code: radius.CodeAccessReject}, auth.Reject, local
	case errors.Is(err, context.DeadlineExceeded):
		return reply{code: radius.CodeAccessReject}, auth.Reject, reasonTimeout
	case err != nil:
		return reply{code: radius.CodeAccessReject}, auth.Reject, reasonInternalError
	case dec.Result == auth.Accept:
		return reply{code: radius.CodeAccessAccept, message: dec.ReplyMessage}, auth.Accept, dec.Reason
	case dec.Result == auth.Challenge && len(dec.State) > 0 && len(dec.State) <= maxAttrValue:
		r := reply{code: radius.CodeAccessChallenge, message: dec.ReplyMessage, state: dec.State}
		return r, auth.Challenge, dec.Reason
	case dec.Result == auth.Challenge:
		return reply{code: radius.CodeAccessReject}, auth.Reject, reasonChallengeState
	}
	return reply{code: radius.CodeAccessReject, message: dec.ReplyMessage}, auth.Reject, dec.Reason
}

// logDecision writes the one Info line per decided request. It never logs
// the password, the code, the State or the secret.
// user is the normalised name from the decision, else the name received.
func (s *Server) logDecision(ctx context.Context, in inbound, from netip.AddrPort, received, user string,
	result auth.Result, reason string, start time.Time) {
	if user == "" {
		user = received
	}
	elapsed := s.opts.Now().Sub(start)
	s.opts.Observer.Decision(in.client.name, in.client.mode, result, reason, elapsed)
	s.log.LogAttrs(ctx, slog.LevelInfo, "radius decision",
		slog.String("user", user),
		slog.String("client", in.client.name),
		slog.String("remote", from.String()),
		slog.Int("radius_id", int(in.pkt.Identifier)),
		slog.String("mode", string(in.client.mode)),
		slog.String("result", result.String()),
		slog.String("reason", reason),
		slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
	)
}
