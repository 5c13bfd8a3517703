//! Reference chatbot server (placeholder until the foundation lands).
