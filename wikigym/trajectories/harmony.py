"""Render trajectories in Harmony exactly as gpt-oss sees them, with loss masks; parse gpt-oss completions back.

This is the one module that speaks Harmony, and it does so only through `openai-harmony`'s builders (never a special
token written by hand). A conversation becomes:

    system      SystemContent: reasoning effort (+ optional conversation start date)
    developer   DeveloperContent: the agent's system prompt as instructions, the tools as `namespace functions`
    user        the task prompt
    assistant   analysis (the reasoning) -> commentary preamble (visible text before calls, if any)
                -> commentary to=functions.<name> <|constrain|>json ... <|call|>
    functions.<name> to=assistant (commentary): the tool output
    ...
    assistant   analysis -> final ... <|return|>

Parallel tool calls of one Anthropic-style turn are rendered one after another, each followed by its result, because
gpt-oss stops at every `<|call|>` and so emits one call per generation.

Loss masks: a *generated segment* is a run of assistant messages between two non-assistant ones. Its tokens (from the
channel header after the prompt's `<|start|>assistant` through its closing `<|call|>`/`<|return|>`) are in the loss,
including the `<|start|>assistant` headers inside the run, since the model emits those itself. System, developer, user
and tool messages, and the `<|start|>assistant` that the prompt supplies, are never in the loss.

Earlier `analysis` (the documented choice): gpt-oss keeps the reasoning of a tool-calling chain in context until a
`final` message closes the chain, and drops it from later turns once a final exists (harmony's `auto_drop_analysis`).
So one rendered *example* is one chain: the context (earlier chains with their analysis dropped, as gpt-oss would see
them) plus the chain's own messages with all its analysis kept, and only that chain's segments in the loss. Every
reasoning step is thus trained in the exact context it was produced in. A trajectory with a verification pass
(`conversation_reset`) has one conversation per pass. When an example exceeds `max_tokens`, it is split per segment
(`split="turn"` forces that): each example holds the context up to one segment and trains that segment only; a
segment whose context alone does not fit is dropped and counted (`RenderStats.dropped_*`), never silently cut.

The student policy (`wikigym.simulator.policies.harmony`) uses `render_prompt` and `parse_completion` from here, so
inference sees the same rendering that training did.

What this module does not do: tokenizer construction (`tokenizer.py`), dataset writing (`dataset.py`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from wikigym.errors import ConfigError
from wikigym.trajectories.schema import Episode, ToolCall
from wikigym.trajectories.tokenizer import harmony_encoding

if TYPE_CHECKING:  # pragma: no cover
    from openai_harmony import Message

ReasoningEffortName = Literal["low", "medium", "high"]
FUNCTIONS = "functions."


@dataclass
class RenderOptions:
    """How conversations are rendered (the same options at training and at inference)."""

    reasoning_effort: ReasoningEffortName = "medium"
    conversation_start_date: str | None = None  # e.g. "2026-01-02"; None leaves the date out (deterministic)
    split: Literal["chain", "turn"] = "chain"
    max_tokens: int | None = None  # examples longer than this are split per segment; None: never split


@dataclass
class RenderedExample:
    """One training example: token ids, a 0/1 loss mask of the same length, and where it came from."""

    input_ids: list[int]
    assistant_masks: list[int]
    episode_id: str
    conversation: int  # 0 for the main pass, 1.. for each `conversation_reset`
    segments: list[int]  # indices (within the conversation) of the generated segments in the loss

    @property
    def n_loss_tokens(self) -> int:
        return sum(self.assistant_masks)


@dataclass
class RenderStats:
    examples: int = 0
    tokens: int = 0
    loss_tokens: int = 0
    split_chains: int = 0  # chains over max_tokens that were split per segment
    dropped_segments: int = 0  # segments whose context alone exceeded max_tokens
    dropped_loss_tokens: int = 0

    def add(self, other: "RenderStats") -> None:
        for k in self.__dataclass_fields__:
            setattr(self, k, getattr(self, k) + getattr(other, k))


# --------------------------------------------------------------------------------------------------- building


def _effort(name: str) -> Any:
    from openai_harmony import ReasoningEffort

    try:
        return {"low": ReasoningEffort.LOW, "medium": ReasoningEffort.MEDIUM, "high": ReasoningEffort.HIGH}[name]
    except KeyError:
        raise ConfigError(f"reasoning effort {name!r} is not one of low, medium, high") from None


def header_messages(system: str, tools: list[dict[str, Any]], opts: RenderOptions) -> list["Message"]:
    """The system message (reasoning effort) and the developer message (instructions + `namespace functions`)."""
    from openai_harmony import DeveloperContent, Message, Role, SystemContent, ToolDescription

    sys_content = SystemContent.new().with_reasoning_effort(_effort(opts.reasoning_effort))
    if opts.conversation_start_date:
        sys_content = sys_content.with_conversation_start_date(opts.conversation_start_date)
    dev = DeveloperContent.new()
    if system:
        dev = dev.with_instructions(system)
    if tools:
        dev = dev.with_function_tools([
            ToolDescription.new(t["name"], t.get("description", ""),
                                parameters=t.get("input_schema") or t.get("inputSchema") or t.get("parameters"))
            for t in tools
        ])
    return [Message.from_role_and_content(Role.SYSTEM, sys_content),
            Message.from_role_and_content(Role.DEVELOPER, dev)]


def _call_text(call: ToolCall | dict[str, Any]) -> str:
    if isinstance(call, ToolCall):
        if call.arguments is None:
            return call.raw_arguments or ""
        return json.dumps(call.arguments, ensure_ascii=False, separators=(",", ":"))
    return json.dumps(call.get("input") or {}, ensure_ascii=False, separators=(",", ":"))


def _assistant(text: str, channel: str) -> "Message":
    from openai_harmony import Message, Role

    return Message.from_role_and_content(Role.ASSISTANT, text).with_channel(channel)


def _call(name: str, arguments: str) -> "Message":
    return _assistant(arguments, "commentary").with_recipient(FUNCTIONS + name).with_content_type("<|constrain|>json")


def _tool_result(name: str, output: str) -> "Message":
    from openai_harmony import Author, Message, Role

    return (Message.from_author_and_content(Author.new(Role.TOOL, FUNCTIONS + name), output)
            .with_channel("commentary").with_recipient("assistant"))


def _user(text: str) -> "Message":
    from openai_harmony import Message, Role

    return Message.from_role_and_content(Role.USER, text)


def _block_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(b.get("text", "") for b in content if isinstance(b, dict) and b.get("type") == "text")
    return "" if content is None else str(content)


RAW_PREFIX = "raw:"


def turn_key(blocks: list[dict[str, Any]]) -> str:
    """Key under which a policy remembers what it produced for an assistant turn (its first call id, else its text)."""
    for b in blocks:
        if b.get("type") == "tool_use":
            return str(b.get("id", ""))
    return "text:" + "".join(b.get("text", "") for b in blocks if b.get("type") == "text")


def anthropic_to_harmony(messages: list[dict[str, Any]], reasoning: dict[str, str] | None = None) -> list["Message"]:
    """Anthropic-shaped loop messages -> Harmony messages (without the system/developer header).

    Args:
        messages: `{"role": "user"|"assistant", "content": str | blocks}` as `wikigym.simulator.policy` describes;
            assistant `thinking` blocks (`{"type": "thinking", "thinking": ...}`) become `analysis`.
        reasoning: what the student policy remembers of its own turns, since the loop does not send it back:
            `analysis` to restore for a turn that carries none (keyed by `turn_key`), and the raw text of malformed
            calls (keyed `raw:<call id>`; the loop sends such calls back with empty input).

    Returns:
        The messages in Harmony order: each call followed by its result.
    """
    reasoning = reasoning or {}
    out: list[Message] = []
    i = 0
    while i < len(messages):
        msg = messages[i]
        role, content = msg.get("role"), msg.get("content")
        if role == "user":
            if isinstance(content, list):
                texts = [b.get("text", "") for b in content if isinstance(b, dict) and b.get("type") == "text"]
                if any(isinstance(b, dict) and b.get("type") == "tool_result" for b in content) and not texts:
                    i += 1  # results already placed after their calls
                    continue
                text = "".join(texts)
            else:
                text = str(content or "")
            out.append(_user(text))
            i += 1
            continue
        if role != "assistant":
            raise ConfigError(f"message {i} has role {role!r}; the loop sends only user and assistant messages")
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else list(content or [])
        calls = [b for b in blocks if b.get("type") == "tool_use"]
        thinking = "".join(b.get("thinking", "") for b in blocks if b.get("type") == "thinking")
        if not thinking:
            thinking = reasoning.get(turn_key(blocks), "")
        text = "".join(b.get("text", "") for b in blocks if b.get("type") == "text")
        if thinking:
            out.append(_assistant(thinking, "analysis"))
        results: dict[str, str] = {}
        names: dict[str, str] = {}
        if calls and i + 1 < len(messages) and messages[i + 1].get("role") == "user" \
                and isinstance(messages[i + 1].get("content"), list):
            for b in messages[i + 1]["content"]:
                if isinstance(b, dict) and b.get("type") == "tool_result":
                    results[b.get("tool_use_id", "")] = _block_text(b.get("content"))
        if calls:
            if text:
                out.append(_assistant(text, "commentary"))
            for c in calls:
                names[c.get("id", "")] = c.get("name", "")
                raw = c.get("raw_arguments", reasoning.get(RAW_PREFIX + c.get("id", "")))
                out.append(_call(c.get("name", ""), raw if raw is not None and not c.get("input") else _call_text(c)))
                if c.get("id", "") in results:
                    out.append(_tool_result(c.get("name", ""), results[c["id"]]))
        elif text or not thinking:
            out.append(_assistant(text, "final"))
        i += 1
    return out


def _step_messages(step: Any) -> tuple[list["Message"], bool]:
    """One trajectory step -> its Harmony messages; returns (messages, closes_chain)."""
    msgs: list[Message] = []
    if step.reasoning:
        msgs.append(_assistant(step.reasoning, "analysis"))
    if step.tool_calls:
        if step.text:
            msgs.append(_assistant(step.text, "commentary"))
        results = {r.tool_use_id: r for r in step.tool_results}
        for call in step.tool_calls:
            msgs.append(_call(call.name, _call_text(call)))
            res = results.get(call.id)
            if res is not None:
                msgs.append(_tool_result(call.name, res.output))
        return msgs, False
    msgs.append(_assistant(step.text, "final"))
    return msgs, True


def episode_conversations(episode: Episode) -> list[list["Message"]]:
    """An episode's conversations (one per pass) as Harmony messages, without the header; split at resets."""
    convs: list[list[Message]] = [[_user(episode.task.prompt)]]
    for step in episode.steps:
        if step.conversation_reset:
            convs.append([_user(step.user_message or "")])
        msgs, _ = _step_messages(step)
        convs[-1].extend(msgs)
    return convs


# --------------------------------------------------------------------------------------------------- rendering


def _is_assistant(m: "Message") -> bool:
    from openai_harmony import Role

    return m.author.role == Role.ASSISTANT


@dataclass
class _Layout:
    tokens: list[int]
    starts: list[int]  # token offset where each message starts
    ends: list[int]
    header: int  # number of leading messages (system/developer) not part of the conversation proper


def _layout(messages: list["Message"], header: int) -> _Layout:
    """Render `messages` for training and locate each message's tokens; checks the per-message split is exact."""
    from openai_harmony import Conversation, RenderConversationConfig

    enc = harmony_encoding()
    cfg = RenderConversationConfig(auto_drop_analysis=False)
    full = enc.render_conversation_for_training(Conversation.from_messages(messages), cfg)
    # The system message's text depends on the developer message (tool namespaces), so the header is measured as a
    # conversation of its own; every later message renders the same alone as in context (checked just below).
    head = len(enc.render_conversation(Conversation.from_messages(messages[:header]), cfg)) if header else 0
    starts, ends, pos = [0] * header, [head] * header, head
    for m in messages[header:]:
        n = len(enc.render(m))
        starts.append(pos)
        pos += n
        ends.append(pos)
    if pos != len(full):
        raise AssertionError(f"harmony rendered {len(full)} tokens but its messages {pos}; cannot place loss masks")
    return _Layout(full, starts, ends, header)


def _segments(messages: list["Message"], header: int) -> list[tuple[int, int]]:
    """(first, last) message indices of each run of assistant messages after the header."""
    segs: list[tuple[int, int]] = []
    k = header
    while k < len(messages):
        if _is_assistant(messages[k]):
            j = k
            while j + 1 < len(messages) and _is_assistant(messages[j + 1]):
                j += 1
            segs.append((k, j))
            k = j + 1
        else:
            k += 1
    return segs


def _prompt_overlap() -> int:
    """Tokens of `<|start|>assistant` that the completion prompt supplies (not generated, not in the loss)."""
    from openai_harmony import Conversation, Role

    enc = harmony_encoding()
    conv = Conversation.from_messages([_user("x")])
    return len(enc.render_conversation_for_completion(conv, Role.ASSISTANT)) - len(enc.render_conversation(conv))


def _chains(messages: list["Message"], header: int) -> list[tuple[int, int]]:
    """(start, end) message ranges of each chain: up to and including a `final` message, or to the end."""
    chains, start = [], header
    for k in range(header, len(messages)):
        m = messages[k]
        if _is_assistant(m) and m.channel == "final":
            chains.append((start, k + 1))
            start = k + 1
    if start < len(messages):
        chains.append((start, len(messages)))
    return chains


def _drop_old_analysis(messages: list["Message"], header: int, upto: int) -> list["Message"]:
    """Messages before `upto` with the analysis of already-finished chains removed (as gpt-oss sees them)."""
    last_final = -1
    for k in range(header, upto):
        if _is_assistant(messages[k]) and messages[k].channel == "final":
            last_final = k
    return [m for k, m in enumerate(messages[:upto])
            if not (k < last_final and k >= header and _is_assistant(m) and m.channel == "analysis")]


def render_conversation(header: list["Message"], body: list["Message"], opts: RenderOptions,
                        episode_id: str = "", conversation: int = 0) -> tuple[list[RenderedExample], RenderStats]:
    """Render one conversation into training examples (one per chain, or per segment when too long).

    Args:
        header: `header_messages(...)`.
        body: the conversation's messages (user, assistant, tool), e.g. one of `episode_conversations(...)`.
        opts: rendering options.

    Returns:
        The examples and their statistics.
    """
    stats = RenderStats()
    examples: list[RenderedExample] = []
    h = len(header)
    overlap = _prompt_overlap()
    for c_start, c_end in _chains(list(header) + list(body), h):
        msgs = _drop_old_analysis(list(header) + list(body), h, c_start) + list(body)[c_start - h:c_end - h]
        first_own = len(msgs) - (c_end - c_start)
        lay = _layout(msgs, h)
        segs = [s for s in _segments(msgs, h) if s[0] >= first_own]
        if not segs:
            continue
        too_long = opts.max_tokens is not None and len(lay.tokens) > opts.max_tokens
        if opts.split == "chain" and not too_long:
            mask = [0] * len(lay.tokens)
            for a, b in segs:
                for t in range(lay.starts[a] + overlap, lay.ends[b]):
                    mask[t] = 1
            examples.append(RenderedExample(lay.tokens, mask, episode_id, conversation,
                                            [_segments(msgs, h).index(s) for s in segs]))
            continue
        if too_long:
            stats.split_chains += 1
        all_segs = _segments(msgs, h)
        for a, b in segs:
            end = lay.ends[b]
            n_loss = end - (lay.starts[a] + overlap)
            if opts.max_tokens is not None and end > opts.max_tokens:
                stats.dropped_segments += 1
                stats.dropped_loss_tokens += n_loss
                continue
            # The segment's own rendering up to `end` equals the prefix of the chain's rendering: a segment ending
            # in <|call|> renders identically whether or not later messages follow (checked in the tests).
            toks = lay.tokens[:end]
            mask = [0] * (lay.starts[a] + overlap) + [1] * n_loss
            examples.append(RenderedExample(toks, mask, episode_id, conversation, [all_segs.index((a, b))]))
    for ex in examples:
        stats.examples += 1
        stats.tokens += len(ex.input_ids)
        stats.loss_tokens += ex.n_loss_tokens
    return examples, stats


def render_episode(episode: Episode, opts: RenderOptions | None = None) -> tuple[list[RenderedExample], RenderStats]:
    """All training examples of an episode (see the module docstring for how it is split and masked).

    Example:
        >>> exs, stats = render_episode(episode, RenderOptions(reasoning_effort="low"))
        >>> harmony_encoding().decode_utf8([t for t, m in zip(exs[0].input_ids, exs[0].assistant_masks) if m])
    """
    opts = opts or RenderOptions()
    header = header_messages(episode.system_prompt, episode.tools, opts)
    out: list[RenderedExample] = []
    stats = RenderStats()
    for n, body in enumerate(episode_conversations(episode)):
        exs, st = render_conversation(header, body, opts, episode.episode_id, n)
        out.extend(exs)
        stats.add(st)
    return out, stats


# --------------------------------------------------------------------------------------------------- inference


def render_prompt(messages: list[dict[str, Any]], tools: list[dict[str, Any]], system: str,
                  opts: RenderOptions | None = None, reasoning: dict[str, str] | None = None) -> list[int]:
    """Token ids of the prompt for the next assistant turn (ends with `<|start|>assistant`).

    Earlier analysis is kept inside the current chain and dropped before an earlier `final`, as at training.
    """
    from openai_harmony import Conversation, RenderConversationConfig, Role

    opts = opts or RenderOptions()
    header = header_messages(system, tools, opts)
    body = anthropic_to_harmony(messages, reasoning)
    msgs = _drop_old_analysis(header + body, len(header), len(header) + len(body))
    conv = Conversation.from_messages(msgs)
    return harmony_encoding().render_conversation_for_completion(
        conv, Role.ASSISTANT, RenderConversationConfig(auto_drop_analysis=False))


@dataclass
class ParsedTurn:
    """A gpt-oss completion parsed back: reasoning, visible text, tool calls, and how it stopped."""

    reasoning: str = ""
    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    stop_reason: str = "end_turn"  # end_turn | tool_use | max_tokens
    error: str | None = None


def stop_token_ids() -> list[int]:
    """Tokens that end an assistant generation: `<|call|>` and `<|return|>`."""
    return list(harmony_encoding().stop_tokens_for_assistant_actions())


def parse_completion(tokens: list[int], call_id: str = "call_0") -> ParsedTurn:
    """Parse the tokens gpt-oss generated after `<|start|>assistant` into one turn.

    A completion that does not end in `<|call|>`/`<|return|>` was cut off (`max_tokens`). Malformed output (harmony
    cannot parse it, or a call's arguments are not a JSON object) becomes an invalid `ToolCall` with `valid=False` and
    the raw text in `raw_arguments`, so the loop answers it with an error and the verifier counts it.
    """
    from openai_harmony import HarmonyError, Role

    enc = harmony_encoding()
    stops = set(stop_token_ids())
    ended = bool(tokens) and tokens[-1] in stops
    turn = ParsedTurn(stop_reason="end_turn" if ended else "max_tokens")
    try:
        msgs = enc.parse_messages_from_completion_tokens(tokens, Role.ASSISTANT, strict=False)
    except HarmonyError as e:
        raw = enc.decode(tokens) if tokens else ""
        turn.tool_calls.append(ToolCall(id=call_id, name="", arguments=None, raw_arguments=raw, valid=False))
        turn.stop_reason, turn.error = "tool_use", f"unparseable Harmony output: {e}"
        return turn
    analysis, preamble, final = [], [], []
    for m in msgs:
        text = "".join(getattr(c, "text", "") for c in m.content)
        recipient = m.recipient or ""
        if recipient.startswith(FUNCTIONS) or (recipient and m.channel == "commentary"):
            name = recipient[len(FUNCTIONS):] if recipient.startswith(FUNCTIONS) else recipient
            try:
                args = json.loads(text)
                ok = isinstance(args, dict)
            except json.JSONDecodeError:
                args, ok = None, False
            cid = call_id if not turn.tool_calls else f"{call_id}_{len(turn.tool_calls)}"
            turn.tool_calls.append(ToolCall(id=cid, name=name, arguments=args if ok else None,
                                            raw_arguments=None if ok else text, valid=ok))
        elif m.channel == "analysis":
            analysis.append(text)
        elif m.channel == "final":
            final.append(text)
        else:
            preamble.append(text)
    turn.reasoning = "\n".join(analysis)
    turn.text = "\n".join(final) if final else "\n".join(preamble)
    if turn.tool_calls:  # a call cut off by max_tokens did not parse: it is already an invalid call
        turn.stop_reason = "tool_use"
    elif not ended and not final:
        turn.stop_reason = "max_tokens"
    return turn


def decode(tokens: list[int]) -> str:
    """Harmony text of `tokens` (special tokens spelled out), for logs and raw completions.

    Lossy on purpose: a model can emit byte tokens that are not valid UTF-8 (a character cut by `max_tokens`, or an
    undertrained student). `decode_utf8` raises on them, which turned such a turn into a failed generation instead of
    the student's (bad) answer; here they become U+FFFD, as the parser itself does.
    """
    return harmony_encoding().decode(tokens)
