"""How the officer workspace looks: its style sheet (CSS), the page head (HEAD) and Gradio's default theme in
blues whose text contrast meets WCAG 2.2 AA. Gradio is imported only inside theme().
"""

from __future__ import annotations

from typing import Any

CSS = """
.rq-sources ol, .rq-sources ul, .rq-evidence { padding-left: 1.25rem; }
.rq-sources li, .rq-evidence li { margin-bottom: 0.9rem; }
.rq-src-head { margin: 0 0 0.25rem 0; }
.rq-passage { margin: 0.25rem 0; padding: 0.5rem 0.75rem; border-left: 4px solid #1d4ed8; background: #f8fafc;
  color: #1a1a1a; white-space: pre-wrap; font-size: 0.95rem; line-height: 1.5; }
.rq-passage mark { background: #ffe066; color: #1a1a1a; padding: 0 0.1em; }
.rq-related .rq-passage { border-left: 4px dashed #64748b; background: #f1f5f9; font-style: italic; }
.rq-related .rq-passage mark { background: transparent; text-decoration: underline dotted; }
.rq-tag { display: inline-block; font-size: 0.8rem; padding: 0 0.4rem; border-radius: 3px;
  margin-left: 0.3rem; background: #e2e8f0; color: #1f2937; font-weight: 600; }
.rq-meta, .rq-part-status { color: var(--body-text-color-subdued); }
.rq-actions { display: flex; gap: 0.75rem; align-items: center; margin: 0.2rem 0 0.4rem 0; }
.rq-actions button { font-size: 0.875rem; padding: 0.1rem 0.6rem; border-radius: 4px; cursor: pointer;
  border: 1px solid var(--border-color-primary); background: var(--button-secondary-background-fill);
  color: var(--button-secondary-text-color); }
.rq-actions a, .rq-sources a, .rq-mq-parts a { color: #1d4ed8; text-decoration: underline; }
.dark .rq-actions a, .dark .rq-sources a, .dark .rq-mq-parts a { color: #93c5fd; }
#rq-tabs [role=tab][aria-selected=true] { color: #1d4ed8; }
.dark #rq-tabs [role=tab][aria-selected=true] { color: #93c5fd; }
.rq-note, .rq-draft-banner, .rq-inline-error, .rq-over { color: #7c2d12; background: #fff7ed;
  border: 1px solid #c2410c; padding: 0.5rem 0.75rem; border-radius: 4px; }
.rq-scope { font-weight: 600; }
.rq-part { border-top: 1px solid var(--border-color-primary); padding-top: 0.5rem; margin-top: 0.75rem; }
.rq-gap { font-weight: 600; }
.rq-sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
  clip: rect(0, 0, 0, 0); white-space: nowrap; border: 0; }
:focus-visible { outline: 3px solid #1d4ed8 !important; outline-offset: 2px !important; }
"""
HEAD = '<meta name="description" content="reportqa officer workspace: cited answers from MOPAC reports">'


def theme() -> Any:
    """Gradio's default theme in blues whose text contrast meets WCAG 2.2 AA."""
    import gradio as gr

    return gr.themes.Default(primary_hue=gr.themes.colors.blue, neutral_hue=gr.themes.colors.slate).set(
        button_primary_background_fill="#1d4ed8",
        button_primary_background_fill_hover="#1e40af",
        button_primary_text_color="#ffffff",
        button_secondary_text_color="#1f2937",
        body_text_color_subdued="#4b5563",
        block_info_text_color="#4b5563",
        input_placeholder_color="#6b7280",
    )
