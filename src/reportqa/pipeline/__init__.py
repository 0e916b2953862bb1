"""The steps `Assistant.ask` runs a question through, each in its own module; `reportqa.service` wires them.

`asks` checks the question and splits it into its asks, `refusal` declines what the policy refuses,
`followup` makes a follow-up stand on its own, `single` answers one ask (its search plan, the extractive
answer and its checks), `present` keeps an old figure from reading as the current one, `several` answers a
question of several asks one by one and `combine` joins their answers. `engine` is the seam: what the steps
(and `reportqa.trend`) read from the assistant, so none of them imports `reportqa.service`.
"""
