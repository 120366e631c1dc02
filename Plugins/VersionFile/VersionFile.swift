import Foundation
import PackagePlugin

/// Generates `Version.swift` (`let gnllVersion = "X.Y.Z"`) for the `gnll` command from the one place the version
/// is set: the `__version__ = "X.Y.Z"` line of the Python package, `Tools/candidates/gnll/__init__.py`, which the
/// wheel's metadata and the adapters' hello read as well.
@main
struct VersionFile: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let source = context.package.directoryURL.appending(path: "Tools/candidates/gnll/__init__.py")
        let output = context.pluginWorkDirectoryURL.appending(path: "Version.swift")
        let script = """
            version=$(sed -n 's/^__version__ = "\\([^"]*\\)"$/\\1/p' "$1")
            if [ -z "$version" ]; then echo "error: $1 has no line __version__ = \\"X.Y.Z\\"" >&2; exit 1; fi
            printf '/// The version of gnll, from %s.\\nlet gnllVersion = "%s"\\n' "$2" "$version" > "$3"
            """
        return [
            .buildCommand(
                displayName: "Generating the version of gnll from Tools/candidates/gnll/__init__.py",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", script, "sh", source.path, "Tools/candidates/gnll/__init__.py", output.path],
                inputFiles: [source], outputFiles: [output])
        ]
    }
}
