
namespace ExaiFast.Tests.Docs;

/// <summary>
/// The README and docs/ are read in order, by following their links: every relative link must lead to a file that
/// exists and, when it names an anchor, to a heading that makes it. Moving a section or renaming a heading breaks links
/// silently otherwise.
/// </summary>
public class DocumentLinkTests
{
    /// <summary>README.md and every Markdown file directly under docs/, relative to the repository.</summary>
    public static TheoryData<string> Documents()
    {
        var documents = new TheoryData<string> { "README.md" };
        foreach (string path in Directory.GetFiles(Path.Combine(RepoPaths.Root, "docs"), "*.md").Order(StringComparer.Ordinal))
        {
            documents.Add("docs/" + Path.GetFileName(path));
        }

        return documents;
    }

    [Theory]
    [MemberData(nameof(Documents))]
    public void EveryRelativeLink_LeadsToAFileAndHeadingThatExist(string document)
    {
        var broken = MarkdownLinks.Check(RepoPaths.Root, Path.Combine(RepoPaths.Root, document));
        Assert.True(broken.Count == 0, $"{broken.Count} broken link(s):\n" + string.Join('\n', broken));
    }

    [Fact]
    public void TheReadersPath_IsLinkedFromTheReadme()
    {
        // Each document of docs/ is reachable from the README, so none is written for nobody to find.
        var linked = MarkdownLinks.Links(File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md")))
            .Select(l => l.Target.Split('#')[0])
            .ToHashSet(StringComparer.Ordinal);
        foreach (string document in Documents().Select(d => (string)d.Data).Where(d => d.StartsWith("docs/", StringComparison.Ordinal)))
        {
            Assert.Contains(document, linked);
        }
    }

    [Fact]
    public void TheReadmesTestCommand_IsTheOneCiRuns()
    {
        string readme = File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md")).ReplaceLineEndings("\n");
        string ci = File.ReadAllText(Path.Combine(RepoPaths.Root, ".ci", "run"));
        Assert.Contains("\nbash scripts/test.sh\n", readme, StringComparison.Ordinal);
        Assert.Contains("exec bash scripts/test.sh", ci, StringComparison.Ordinal);
    }

    [Fact]
    public void TheChecker_FindsAMissingFileAMissingAnchorAndAWayOut_AndNothingElse()
    {
        string root = Directory.CreateTempSubdirectory("exaifast-links-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "docs"));
            File.WriteAllText(Path.Combine(root, "docs", "other.md"), "# Other\n\n## Calls: lanes, the global limit\n\n## Twice\n\n## Twice\n");
            File.WriteAllText(Path.Combine(root, "README.md"), """
                # Title

                ## A call's way

                Good: [other](docs/other.md), [a heading](docs/other.md#calls-lanes-the-global-limit), [the second twice](docs/other.md#twice-1),
                [here](#a-calls-way), [`code` in a label](docs/other.md), [a site](https://example.com/none.md#nothing), [dir](docs).
                Bad: [gone](docs/gone.md), [no heading](docs/other.md#nowhere), [out](../outside.md), [no local heading](#title-1).

                ```sh
                [in a fence](fenced/gone.md)
                ```
                Inline code is text: `[x](inline/gone.md)`.
                """);

            var broken = MarkdownLinks.Check(root, Path.Combine(root, "README.md"));

            Assert.Equal(["docs/gone.md", "docs/other.md#nowhere", "../outside.md", "#title-1"], broken.Select(b => b.Target));
            Assert.All(broken, b => Assert.Equal(("README.md", 7), (b.Document, b.Line)));
            Assert.Equal(["no such file", "no heading of other.md makes the anchor #nowhere", "points outside the repository", "no heading of README.md makes the anchor #title-1"],
                broken.Select(b => b.Reason));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Theory]
    [InlineData("A call's way through the layers", "a-calls-way-through-the-layers")]
    [InlineData("What `install.sh` ships", "what-installsh-ships")]
    [InlineData("Calls: lanes, the global limit, sessions", "calls-lanes-the-global-limit-sessions")]
    [InlineData("Streamable HTTP at /mcp", "streamable-http-at-mcp")]
    [InlineData("Big prompts — and the rest", "big-prompts--and-the-rest")]
    [InlineData("MCP_PROMPT_SIZE_LIMIT and [the README](../README.md)", "mcp_prompt_size_limit-and-the-readme")]
    [InlineData("Größe 2026-07-28", "größe-2026-07-28")]
    public void Slug_IsGitHubs(string heading, string anchor)
    {
        Assert.Equal(anchor, MarkdownLinks.Slug(heading));
    }
}
