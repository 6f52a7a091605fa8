"""The risk screen: red flags, ConText reading rules and the screen itself."""
