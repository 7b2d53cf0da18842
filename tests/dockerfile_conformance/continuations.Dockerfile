FROM debian:12
RUN apt-get update \
    # a comment inside a continuation
    && apt-get install -y \
        curl \

        git \
    && rm -rf /var/lib/apt/lists/*
RUN echo "trailing spaces after the escape" \   
    done
RUN echo double escape at end is not a continuation \\
RUN echo next
RUN echo lone escape line \
\
    still the same instruction
RUN echo escaped quote \" and \$HOME
	RUN echo tab-indented instruction
EXPOSE 80 \
  443
LABEL a=1 \
      b=2
ENV K=v \
    L=w
CMD ["a", \
     "b"]
