// OpenSSL's thread-local error queue, read into text for absl::Status messages.
#ifndef UXCOM_NET_DETAIL_OPENSSL_ERROR_H_
#define UXCOM_NET_DETAIL_OPENSSL_ERROR_H_

#include <openssl/err.h>

#include <string>

namespace uxcom::net::detail {

// The reason text of the oldest (first = most specific) or newest queued error, e.g. "no such
// file" or "certificate verify failed"; "unknown error" when the queue is empty. Empties the
// queue (a stale error must not be blamed on the next call).
struct OpenSslError {
  unsigned long first = 0;
  unsigned long last = 0;
  static OpenSslError Drain() {
    OpenSslError e;
    for (unsigned long code = ERR_get_error(); code != 0; code = ERR_get_error()) {
      if (e.first == 0) e.first = code;
      e.last = code;
    }
    return e;
  }
  static std::string Reason(unsigned long code) {
    if (code == 0) return "unknown error";
    const char* r = ERR_reason_error_string(code);
    if (r != nullptr) return r;
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    return buf;
  }
  std::string first_reason() const { return Reason(first); }
  std::string last_reason() const { return Reason(last); }
};

}  // namespace uxcom::net::detail

#endif  // UXCOM_NET_DETAIL_OPENSSL_ERROR_H_
