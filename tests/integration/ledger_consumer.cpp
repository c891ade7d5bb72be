#include "tests/integration/ledger_consumer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>

#include "protocols/caf_types.hpp"
#include "tests/common/poll.hpp"

namespace bsm::test {

namespace {

class append_file {
public:
  explicit append_file(const std::filesystem::path& path)
    : fd_(
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) {
    if (fd_ < 0)
      throw std::runtime_error("cannot open " + path.string());
  }

  ~append_file() {
    ::close(fd_);
  }

  void line(const std::string& text) {
    auto x = text + '\n';
    if (::write(fd_, x.data(), x.size()) != static_cast<ssize_t>(x.size()))
      throw std::runtime_error("short write to the ledger");
  }

private:
  int fd_;
};

struct ledger {
  explicit ledger(const std::filesystem::path& dir)
    : deliveries(dir / "deliveries.log"), effects(dir / "effects.log") {
    std::ifstream in{dir / "effects.log"};
    for (std::string line; std::getline(in, line);)
      applied.insert(line);
  }

  append_file deliveries;
  append_file effects;
  std::set<std::string> applied;
};

// Blocks only this detached actor's thread, until the test lets go (or
// the generous deadline passes, so a failed test cannot hang the node).
void hold(const std::filesystem::path& dir) {
  std::ofstream{dir / "holding"} << "holding\n";
  (void)bsm::test::poll_until(
    [&] { return std::filesystem::exists(dir / "release"); },
    bsm::test::generous_deadline, std::chrono::milliseconds{10});
}

caf::behavior consumer(caf::event_based_actor*, std::filesystem::path dir) {
  auto book = std::make_shared<ledger>(dir);
  return {
    [book, dir](const v1::PingRequest& req) {
      if (req.payload() == "poison")
        throw std::runtime_error("poison message");
      if (req.payload() == "hold") {
        hold(dir);
        v1::PingResponse released;
        released.set_sequence(req.sequence());
        return released;
      }
      if (req.payload() == "slow") {
        // For deadline tests; blocks only this detached actor's thread.
        std::this_thread::sleep_for(std::chrono::seconds{1});
        v1::PingResponse late;
        late.set_sequence(req.sequence());
        return late;
      }
      auto entry = req.payload() + " " + std::to_string(req.sequence());
      book->deliveries.line(entry);
      if (book->applied.insert(entry).second)
        book->effects.line(entry);
      v1::PingResponse resp;
      resp.set_sequence(req.sequence());
      return resp;
    },
  };
}

} // namespace

child_spec ledger_consumer_child(std::filesystem::path dir) {
  child_spec spec;
  spec.name = "ledger";
  spec.start = [dir](caf::actor_system& sys,
                     const std::string&) -> caf::expected<caf::actor> {
    // Detached: it writes files.
    return sys.spawn<caf::detached>(consumer, dir);
  };
  return spec;
}

} // namespace bsm::test
