"use client";

import { useRef, useState, type ComponentProps } from "react";
import ReactMarkdown, { type Components } from "react-markdown";
import remarkGfm from "remark-gfm";

import styles from "./BuiltinChat.module.css";

// Raw HTML in an answer is shown as text, never run: react-markdown does not render it, and
// link targets go through its URL check (no `javascript:`).
const COMPONENTS: Components = {
  pre: CodeBlock,
  // Links out of the app open in a new tab; in-page ones (footnotes) stay.
  a: ({ node: _node, ...props }) =>
    /^https?:/i.test(props.href ?? "") ? <a {...props} target="_blank" rel="noopener noreferrer" /> : <a {...props} />,
  // An image would be fetched from wherever the answer says: show where it is instead.
  img: ({ src, alt }) =>
    typeof src === "string" && src !== "" ? (
      <a href={src} target="_blank" rel="noopener noreferrer">
        {alt || "image"}
      </a>
    ) : null,
};
const PLUGINS = [remarkGfm];

/** An answer's markdown, re-rendered as it streams in. */
export function Markdown({ text }: { text: string }) {
  return (
    <div className={styles.markdown}>
      <ReactMarkdown remarkPlugins={PLUGINS} components={COMPONENTS}>
        {text}
      </ReactMarkdown>
    </div>
  );
}

function CodeBlock({ node: _node, children, ...props }: ComponentProps<"pre"> & { node?: unknown }) {
  const code = useRef<HTMLPreElement>(null);
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    await navigator.clipboard.writeText(code.current?.textContent ?? "");
    setCopied(true);
    setTimeout(() => setCopied(false), 1_500);
  };
  return (
    <div className={styles.codeBlock}>
      <button type="button" className={styles.copyCode} onClick={() => void copy()} aria-label="Copy code">
        {copied ? "Copied" : "Copy"}
      </button>
      <pre ref={code} {...props}>
        {children}
      </pre>
    </div>
  );
}
