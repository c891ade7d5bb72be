// `bsmctl completion bash`, generated from the one command tree
// (command_line.cpp), so a new command or option completes without a step.

#include <CLI/CLI.hpp>

#include "node/bsmctl/args.hpp"
#include "node/bsmctl/command_line.hpp"

namespace bsm::ctl {

namespace {

// The words that may follow `cmd`: its subcommands and its options' names.
std::string words_of(const CLI::App& cmd) {
  std::string out;
  auto add = [&out](const std::string& word) {
    out += (out.empty() ? "" : " ") + word;
  };
  for (const auto* sub : cmd.get_subcommands({}))
    add(sub->get_name());
  for (const auto* opt : cmd.get_options({}))
    if (!opt->get_positional())
      for (const auto& name : opt->get_lnames())
        add("--" + name);
  return out;
}

// One `case` arm per command path ("agents chat"), depth first.
void add_cases(const CLI::App& cmd, const std::string& path, std::string& out) {
  out += "    \"" + path + "\") echo \"" + words_of(cmd) + "\" ;;\n";
  for (const auto* sub : cmd.get_subcommands({}))
    add_cases(
      *sub, path.empty() ? sub->get_name() : path + " " + sub->get_name(), out);
}

} // namespace

std::string bsmctl_bash_completion() {
  bsmctl_args out;
  raw_words raw;
  auto app = make_command_line(out, raw);
  std::string cases;
  add_cases(*app, "", cases);
  return "# bash completion for bsmctl: source <(bsmctl completion bash)\n"
         "_bsmctl_words() {\n"
         "  case \"$1\" in\n"
         + cases
         + "  esac\n"
           "}\n"
           "_bsmctl() {\n"
           "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" path=\"\" word i\n"
           "  # The command path so far: the words that name a command.\n"
           "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
           "    word=\"${COMP_WORDS[i]}\"\n"
           "    case \" $(_bsmctl_words \"$path\") \" in\n"
           "      *\" $word \"*) [[ $word == -* ]] || path=\"${path:+$path "
           "}$word\" ;;\n"
           "    esac\n"
           "  done\n"
           "  local words\n"
           "  words=\"$(_bsmctl_words \"$path\") $(_bsmctl_words \"\" | tr ' ' "
           "'\\n' | grep -- '^-' | tr '\\n' ' ')\"\n"
           "  COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
           "}\n"
           "complete -F _bsmctl bsmctl\n";
}

} // namespace bsm::ctl
