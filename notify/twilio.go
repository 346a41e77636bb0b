package notify

import (
	"encoding/base64"
	"fmt"
	"net/url"

	"radiusd/secret"
)

// TwilioURL is the Messages endpoint of Twilio's Programmable Messaging
// API; %s is the account SID.
const TwilioURL = "https://api.twilio.com/2010-04-01/Accounts/%s/Messages.json"

// Twilio returns HTTPOptions for Twilio's Messages API: a form POST of
// To, From (or MessagingServiceSid when from starts with "MG") and Body to
// TwilioURL, HTTP basic authentication with the account SID and the auth
// token (in the secret header), and 201 Created as the only success. The
// caller may change any field, for example Body or Timeout, before
// NewHTTP.
func Twilio(accountSID string, authToken secret.Value, from string) HTTPOptions {
	fromField := "From"
	if len(from) > 2 && from[:2] == "MG" {
		fromField = "MessagingServiceSid"
	}
	cred := append([]byte(accountSID+":"), authToken.Bytes()...)
	auth := append([]byte("Basic "), base64.StdEncoding.AppendEncode(nil, cred)...)
	value := secret.New(auth)
	clear(cred)
	clear(auth)
	return HTTPOptions{
		URL:          fmt.Sprintf(TwilioURL, url.PathEscape(accountSID)),
		SecretHeader: "Authorization",
		SecretValue:  value,
		Format:       FormatForm,
		Body: "To={{urlquery .To}}&" + fromField + "=" + url.QueryEscape(from) +
			`&Body={{urlquery (printf "Your %s code is %s. It expires in %s." .Issuer .Code .Lifetime)}}`,
		SuccessStatus: []int{201},
	}
}
