#include "capture/pcap_source.h"

#include <pcap/pcap.h>
#include <poll.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace uxcom::capture {
namespace {

absl::Status OpenError(const std::string& name, const char* errbuf) {
  std::string why = errbuf;
  std::string message = absl::StrCat(name, ": ", why);
  if (why.find("No such file") != std::string::npos) return absl::NotFoundError(message);
  if (why.find("ermission denied") != std::string::npos) {
    return absl::PermissionDeniedError(message);
  }
  return absl::InvalidArgumentError(message);
}

}  // namespace

PcapSource::PcapSource(pcap* handle, std::string name, bool live)
    : handle_(handle), name_(std::move(name)), live_(live) {
  nanosecond_ = pcap_get_tstamp_precision(handle_) == PCAP_TSTAMP_PRECISION_NANO;
}

PcapSource::~PcapSource() {
  pcap_close(handle_);  // closes a FILE given to pcap_fopen_offline too
}

absl::StatusOr<std::unique_ptr<PcapSource>> PcapSource::OpenFile(const std::string& path) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap* p =
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (p == nullptr) return OpenError(path, errbuf);
  return std::unique_ptr<PcapSource>(new PcapSource(p, path, false));
}

absl::StatusOr<std::unique_ptr<PcapSource>> PcapSource::OpenStream(FILE* file, std::string name) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap* p = pcap_fopen_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (p == nullptr) {
    std::fclose(file);
    return OpenError(name, errbuf);
  }
  return std::unique_ptr<PcapSource>(new PcapSource(p, std::move(name), false));
}

absl::StatusOr<std::unique_ptr<PcapSource>> PcapSource::OpenLive(const std::string& interface,
                                                                 const LiveOptions& options) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap* p = pcap_create(interface.c_str(), errbuf);
  if (p == nullptr) return OpenError(interface, errbuf);
  pcap_set_snaplen(p, options.snapshot_length);
  pcap_set_promisc(p, options.promiscuous ? 1 : 0);
  pcap_set_immediate_mode(p, 1);
  pcap_set_buffer_size(p, options.buffer_bytes);
  (void)pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);  // microseconds otherwise
  const int rc = pcap_activate(p);
  if (rc < 0) {
    std::string message = absl::StrCat("capture on ", interface, ": ", pcap_statustostr(rc));
    if (const char* detail = pcap_geterr(p); detail != nullptr && *detail != '\0') {
      absl::StrAppend(&message, " (", detail, ")");
    }
    pcap_close(p);
    if (rc == PCAP_ERROR_PERM_DENIED || rc == PCAP_ERROR_PROMISC_PERM_DENIED) {
      return absl::PermissionDeniedError(
          absl::StrCat(message, "; live capture needs root or CAP_NET_RAW"));
    }
    if (rc == PCAP_ERROR_NO_SUCH_DEVICE) return absl::NotFoundError(message);
    return absl::UnavailableError(message);
  }
  if (pcap_setnonblock(p, 1, errbuf) != 0) {
    std::string message = absl::StrCat("capture on ", interface, ": ", errbuf);
    pcap_close(p);
    return absl::UnavailableError(message);
  }
  return std::unique_ptr<PcapSource>(new PcapSource(p, interface, true));
}

absl::Status PcapSource::SetFilter(const std::string& expression) {
  bpf_program program;
  if (pcap_compile(handle_, &program, expression.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("filter '", expression, "': ", pcap_geterr(handle_)));
  }
  const int rc = pcap_setfilter(handle_, &program);
  pcap_freecode(&program);
  if (rc != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("filter '", expression, "': ", pcap_geterr(handle_)));
  }
  return absl::OkStatus();
}

int PcapSource::link_type() const { return pcap_datalink(handle_); }

std::string PcapSource::link_type_name() const {
  const char* name = pcap_datalink_val_to_name(link_type());
  return name != nullptr ? name : absl::StrCat("linktype ", link_type());
}

int PcapSource::snapshot_length() const { return pcap_snapshot(handle_); }

int PcapSource::selectable_fd() const { return live_ ? pcap_get_selectable_fd(handle_) : -1; }

absl::StatusOr<std::optional<RawPacket>> PcapSource::Next(absl::Duration wait, int wake_fd) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    pcap_pkthdr* header = nullptr;
    const u_char* data = nullptr;
    const int rc = pcap_next_ex(handle_, &header, &data);
    if (rc == 1) {
      RawPacket packet;
      packet.time = absl::FromUnixSeconds(header->ts.tv_sec) +
                    (nanosecond_ ? absl::Nanoseconds(header->ts.tv_usec)
                                 : absl::Microseconds(header->ts.tv_usec));
      packet.data =
          std::span<const std::byte>(reinterpret_cast<const std::byte*>(data), header->caplen);
      packet.wire_length = std::max(header->len, header->caplen);
      return packet;
    }
    if (rc == PCAP_ERROR_BREAK) return std::nullopt;  // end of file
    if (rc < 0) {
      std::string message = absl::StrCat(name_, ": ", pcap_geterr(handle_));
      if (live_) return absl::UnavailableError(message);
      return absl::DataLossError(message);
    }
    // rc == 0: nothing yet (live, non-blocking). Wait once for the descriptor, then retry.
    if (attempt == 1 || !live_) break;
    pollfd fds[2] = {{pcap_get_selectable_fd(handle_), POLLIN, 0}, {wake_fd, POLLIN, 0}};
    const int ms = static_cast<int>(absl::ToInt64Milliseconds(wait));
    if (poll(fds, wake_fd >= 0 ? 2 : 1, ms) <= 0 || fds[1].revents != 0) break;
  }
  return std::nullopt;
}

LiveStats PcapSource::live_stats() const {
  LiveStats out;
  if (!live_) return out;
  pcap_stat stats{};
  if (pcap_stats(handle_, &stats) == 0) {
    out.received = stats.ps_recv;
    out.dropped = stats.ps_drop;
    out.interface_dropped = stats.ps_ifdrop;
  }
  return out;
}

}  // namespace uxcom::capture
