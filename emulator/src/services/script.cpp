// script: a scripted TCP dialogue, step by step, for each connection.
//
// Settings, a list of steps run in order:
//   expect: TEXT   wait until TEXT has arrived (bytes before it are skipped)
//   send: TEXT     send TEXT
//   delay: D       wait this long (a duration)
//   close          close the connection (FIN)
//   reset          reset the connection (RST)
// When the steps run out the server stays until the device closes, then closes
// too. If the device closes while an expect: waits, the server closes.
#include "kinds.hpp"
#include "qpysim/modem.hpp"

namespace qpysim::services {

namespace {

struct ScriptConfig final : ServiceConfig {
    std::vector<ScriptStep> steps;
    std::string summary() const override {
        return std::to_string(steps.size()) + (steps.size() == 1 ? " step" : " steps");
    }
};

class ScriptSession final : public Session {
  public:
    ScriptSession(const Service& service, const ScriptConfig& config)
        : service_(service), steps_(config.steps) {}

    void on_open() override { run(); }
    void on_data(std::string_view data) override {
        in_.append(data);
        run();
    }
    void on_eof() override {
        eof_ = true;
        run();
    }

  private:
    void run() {
        while (!waiting_ && next_ < steps_.size() && is_open()) {
            const ScriptStep& step = steps_[next_];
            switch (step.kind) {
                case ScriptStep::Kind::expect: {
                    const auto at = in_.find(step.text);
                    if (at == std::string::npos) {
                        if (eof_) close();  // what we wait for can no longer come
                        return;
                    }
                    in_.erase(0, at + step.text.size());
                    break;
                }
                case ScriptStep::Kind::send:
                    send(step.text);
                    break;
                case ScriptStep::Kind::delay:
                    waiting_ = true;
                    service_.modem().sched().call_after(step.delay, [w = weak_from_this()] {
                        auto self = std::static_pointer_cast<ScriptSession>(w.lock());
                        if (!self) return;
                        self->waiting_ = false;
                        ++self->next_;
                        self->run();
                    });
                    return;
                case ScriptStep::Kind::close:
                    close();
                    break;
                case ScriptStep::Kind::reset:
                    reset();
                    return;
            }
            ++next_;
        }
        // The script is over: stay until the device closes, then close too.
        if (next_ >= steps_.size() && eof_) close();
    }

    const Service& service_;
    const std::vector<ScriptStep>& steps_;
    std::size_t next_ = 0;
    std::string in_;
    bool waiting_ = false;
    bool eof_ = false;
};

}  // namespace

ServiceKind script_service() {
    return {"script",
            true,
            false,
            "a scripted dialogue: expect/send/delay steps, close, reset",
            {{"expect", "wait until this text has arrived (what comes before it is skipped)"},
             {"send", "send this text"},
             {"delay", "wait this long (a duration)"},
             {"close", "close the connection (FIN)"},
             {"reset", "reset the connection (RST)"}},
            [](const ConfigReader& r, const YAML::Node& n) -> std::shared_ptr<const ServiceConfig> {
                if (!n.IsSequence()) r.fail(n.Mark(), "script must be a list of steps");
                auto c = std::make_shared<ScriptConfig>();
                for (const auto& step : n)
                    c->steps.push_back(parse_script_step(r, step, true));
                return c;
            },
            [](ServiceContext ctx, std::shared_ptr<const ServiceConfig> config) {
                return make_per_connection<ScriptSession, ScriptConfig>(std::move(ctx), config);
            }};
}

}  // namespace qpysim::services
