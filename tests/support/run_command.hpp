// run_command: runs a shell command as a user would and returns its exit status and output (stdout and stderr).
// xml_count: how many elements of a name an XML file holds, counted by xmllint (libxml2, an independent parser;
// a file that is not well-formed XML fails the check).
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <memory>
#include <string>

#include <doctest/doctest.h>

namespace kiln::testing {

struct CommandResult {
    int status;          // the exit status, or -1 when the command did not exit normally
    std::string output;  // stdout and stderr
};

inline CommandResult run_command(const std::string& command) {
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen((command + " 2>&1").c_str(), "r"), ::pclose);
    REQUIRE(pipe);
    std::string output;
    char buffer[4096];
    while (size_t got = std::fread(buffer, 1, sizeof buffer, pipe.get())) output.append(buffer, got);
    const int status = ::pclose(pipe.release());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

// The number of elements named `element` (any namespace) in the XML file at `path`; fails the test when xmllint
// rejects the file.
inline long xml_count(const std::string& path, const std::string& element) {
    const CommandResult r =
        run_command("xmllint --nonet --xpath \"count(//*[local-name()='" + element + "'])\" '" + path + "'");
    INFO("xmllint on ", path, ": ", r.output);
    REQUIRE(r.status == 0);
    return std::stol(r.output);
}

}  // namespace kiln::testing
